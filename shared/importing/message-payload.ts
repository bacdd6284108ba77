/**
 * The JSON that creates an item as a received message, not a draft, in a folder:
 * - PR_MESSAGE_FLAGS (Integer 0x0E07) = MSGFLAG_READ only, so it is neither unsent nor a draft;
 *   PR_MESSAGE_DELIVERY_TIME (SystemTime 0x0E06) and PR_CLIENT_SUBMIT_TIME (SystemTime 0x0039) carry
 *   the original time. https://learn.microsoft.com/en-us/graph/api/resources/extended-properties-overview
 * - provenance: the audit values as custom x- internet headers (at most 5 on a create) and as named
 *   properties, all under ONE property set GUID of this app (each new name costs the mailbox a
 *   named-property slot, so the names are fixed and few);
 * - threading: PR_CONVERSATION_INDEX (Binary 0x0071) from the converter's Thread-Index and
 *   PR_CONVERSATION_TOPIC (String 0x0070), PR_IN_REPLY_TO_ID (String 0x1042) and
 *   PR_INTERNET_REFERENCES (String 0x1039), so a conversation groups in Outlook;
 * - PR_MESSAGE_CLASS (String 0x001A) from the item class setting, so eDiscovery can isolate these items.
 * A request stays under Graph's 4 MB limit: small attachments ride along while they fit, the rest
 * are added after the message exists, or, where the tenant refuses that, are listed in a note.
 */
import { decodeWords } from 'postal-mime';
import { escapeHtml } from '../text/html';
import { fileAttachmentJson, SMALL_ATTACHMENT_LIMIT, type FileAttachment } from '../graph/mailbox-api';
import { AUDIT_HEADERS, SYNTHETIC_DOMAIN } from '../items/message-contract';
import type { ItemMessage } from '../mime/read-message';

/** The one property set of this app: every named property below lives in it. */
export const PROPERTY_SET = '{5c9d41a5-7f3e-4b3c-9a50-3f6a1d2e8b71}';
const named = (name: string) => `String ${PROPERTY_SET} Name ${name}`;

export const NAMED_PROPERTIES = {
  /** connector:itemId, the copy's de-duplication key. */
  itemId: named('MobileArchiveItemId'),
  product: named('MobileArchiveProduct'),
  itemType: named('MobileArchiveItemType'),
  rawSha256: named('MobileArchiveRawSha256'),
  rawBlob: named('MobileArchiveRawBlob'),
  /** Set only on a partial copy: what was left out and where it is kept. */
  omitted: named('MobileArchiveOmittedParts'),
} as const;

export const DEDUP_PROPERTY_ID = NAMED_PROPERTIES.itemId;
export const MESSAGE_CLASS_PROPERTY = 'String 0x001A';
export const CONVERSATION_INDEX_PROPERTY = 'Binary 0x0071';

/** Custom headers on the copy (Graph takes at most 5 x- headers on a create). */
const COPY_HEADERS = [AUDIT_HEADERS.connector, AUDIT_HEADERS.itemId, AUDIT_HEADERS.itemType, AUDIT_HEADERS.rawSha256, AUDIT_HEADERS.rawBlob] as const;
/** Graph refuses a request over 4 MB; the create stays under this with its JSON and base64. */
const REQUEST_BUDGET = 3_500_000;

export function dedupValue(connectorId: string, itemId: string): string {
  return `${connectorId}:${itemId}`;
}

/** An attachment with our stable identity: its content id (kept by Exchange), never Graph's size. */
export interface KeyedAttachment extends FileAttachment {
  contentId: string;
  /** 1-based position among the message's attachments (the MIME part a note points to). */
  index: number;
  sha256: string;
}

/**
 * The attachments with an identity that survives a round trip through Graph: an inline part keeps
 * the content id its body refers to; any other gets `att<n>.<sha256 prefix>@mobile-archive.invalid`.
 */
export function attachmentsOf(message: ItemMessage): KeyedAttachment[] {
  return message.attachments.map((a, i) => ({
    name: a.filename,
    contentType: a.mimeType,
    size: a.size,
    content: a.content,
    read: a.read,
    isInline: a.disposition === 'inline',
    contentId: a.contentId ?? `att${i + 1}.${a.sha256.slice(0, 24)}@${SYNTHETIC_DOMAIN}`,
    index: i + 1,
    sha256: a.sha256,
  }));
}

/** `IPM.Note.MobileArchive.{product}.{type}` with the item's values (letters, digits and '-' only). */
export function itemClassOf(template: string, message: ItemMessage): string {
  const part = (header: string) => (message.headers.get(header.toLowerCase()) ?? 'unknown').replace(/[^A-Za-z0-9-]+/g, '-');
  return template.replace('{product}', part(AUDIT_HEADERS.product)).replace('{type}', part(AUDIT_HEADERS.itemType));
}

export interface PayloadOptions {
  connectorId: string;
  itemId: string;
  itemClass: string;
  /** Deferred attachments this tenant will not take on a non-draft message: left out with a note. */
  cannotAdd: (a: KeyedAttachment) => boolean;
  /** Where the whole message is kept, for the note on a partial copy. */
  archivedAt: string;
}

export interface BuiltPayload {
  payload: Record<string, unknown>;
  /** Added after the create, each reconciled by content id. */
  deferred: KeyedAttachment[];
  /** Not on the copy at all (listed in its note): the copy counts as partially imported. */
  omitted: KeyedAttachment[];
}

/**
 * The item's time to the millisecond: RFC 5322's Date has whole seconds, so X-MobileArchive-Timestamp
 * gives the milliseconds when it names the same second (items a second apart keep their order).
 */
function itemTime(message: ItemMessage, header: (name: string) => string | undefined): string {
  const precise = Date.parse(header(AUDIT_HEADERS.timestamp) ?? '');
  const second = Math.floor(message.date.getTime() / 1000);
  return !Number.isNaN(precise) && Math.floor(precise / 1000) === second ? new Date(precise).toISOString() : message.date.toISOString();
}

export function messagePayload(message: ItemMessage, o: PayloadOptions): BuiltPayload {
  const header = (name: string) => message.headers.get(name.toLowerCase())?.replace(/\s+/g, ' ').trim();
  const when = itemTime(message, header);
  const recipient = (a: { name: string; address: string }) => ({ emailAddress: { name: a.name, address: a.address } });
  const all = attachmentsOf(message);
  const html = message.html || `<pre>${escapeHtml(message.text)}</pre>`;

  const properties = [
    { id: 'Integer 0x0E07', value: '1' },
    { id: 'SystemTime 0x0E06', value: when },
    { id: 'SystemTime 0x0039', value: when },
    { id: MESSAGE_CLASS_PROPERTY, value: o.itemClass },
    { id: NAMED_PROPERTIES.itemId, value: dedupValue(o.connectorId, o.itemId) },
    { id: NAMED_PROPERTIES.product, value: header(AUDIT_HEADERS.product) },
    { id: NAMED_PROPERTIES.itemType, value: header(AUDIT_HEADERS.itemType) },
    { id: NAMED_PROPERTIES.rawSha256, value: header(AUDIT_HEADERS.rawSha256) },
    { id: NAMED_PROPERTIES.rawBlob, value: header(AUDIT_HEADERS.rawBlob) },
    { id: CONVERSATION_INDEX_PROPERTY, value: header('Thread-Index') },
    { id: 'String 0x0070', value: decoded(header('Thread-Topic')) },
    { id: 'String 0x1042', value: header('In-Reply-To') },
    { id: 'String 0x1039', value: header('References') },
  ];
  const payload: Record<string, unknown> = {
    subject: message.subject,
    body: { contentType: 'html', content: html },
    from: recipient(message.from),
    sender: recipient(message.from),
    toRecipients: message.to.map(recipient),
    ccRecipients: message.cc.map(recipient),
    internetMessageId: message.internetMessageId,
    isRead: true,
    internetMessageHeaders: COPY_HEADERS.flatMap((name) => {
      const value = header(name);
      return value ? [{ name, value }] : [];
    }),
    singleValueExtendedProperties: properties.filter((p): p is { id: string; value: string } => typeof p.value === 'string' && p.value !== ''),
  };

  // Which attachments go in the create, which are added afterwards, which cannot be added at all.
  // The budget keeps room for a note of omissions (a few hundred bytes per attachment).
  let size = Buffer.byteLength(JSON.stringify(payload)) + 500 * all.length;
  const inline: (KeyedAttachment & { content: Buffer })[] = [];
  const later: KeyedAttachment[] = [];
  for (const a of all) {
    // Only a held attachment under the POST limit can ride along; its cost is counted without
    // encoding it (base64 of n bytes is 4 * ceil(n / 3) characters, none escaped in JSON).
    const content = a.size < SMALL_ATTACHMENT_LIMIT ? a.content : undefined;
    const cost = content ? Buffer.byteLength(JSON.stringify(fileAttachmentJson({ ...a, content: Buffer.alloc(0) }))) + 4 * Math.ceil(a.size / 3) + 1 : 0;
    if (content && size + cost < REQUEST_BUDGET) {
      inline.push({ ...a, content });
      size += cost;
    } else later.push(a);
  }
  const omitted = later.filter(o.cannotAdd);
  const deferred = later.filter((a) => !o.cannotAdd(a));
  if (omitted.length > 0) {
    payload.body = { contentType: 'html', content: withOmissionNote(html, omitted, o.archivedAt) };
    (payload.singleValueExtendedProperties as { id: string; value: string }[]).push({
      id: NAMED_PROPERTIES.omitted,
      value: omitted.map((a) => `${a.index}:${a.sha256}`).join(' '),
    });
  }
  if (inline.length > 0) payload.attachments = inline.map((a) => fileAttachmentJson(a));
  return { payload, deferred, omitted };
}

function decoded(value: string | undefined): string | undefined {
  return value === undefined ? undefined : decodeWords(value);
}

/** The note a partial copy carries at the end of its body: what is missing, its SHA-256 and where it is kept. */
function withOmissionNote(html: string, omitted: KeyedAttachment[], archivedAt: string): string {
  const rows = omitted.map((a) => `<li>${escapeHtml(a.name)} (${a.size} bytes), MIME part ${a.index}, SHA-256 ${a.sha256}</li>`).join('');
  const note =
    `<hr><p><b>Archive note:</b> ${omitted.length} attachment(s) of this item could not be added to this mailbox copy ` +
    `(this tenant does not accept attachments on archived, non-draft messages; see the import self-test). ` +
    `They are kept, byte for byte, in the complete message at ${escapeHtml(archivedAt)}:</p><ul>${rows}</ul>`;
  return /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${note}</body>`) : `${html}${note}`;
}
