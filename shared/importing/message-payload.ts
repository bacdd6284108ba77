/**
 * The JSON that creates an item as a received message, not a draft, in a folder:
 * PR_MESSAGE_FLAGS (Integer 0x0E07) = MSGFLAG_READ only, so it is neither unsent nor a draft;
 * PR_MESSAGE_DELIVERY_TIME (SystemTime 0x0E06) and PR_CLIENT_SUBMIT_TIME (SystemTime 0x0039) carry the
 * original time; a named property of our own carries the item id for de-duplication.
 * https://learn.microsoft.com/en-us/graph/api/resources/extended-properties-overview
 * A request stays under Graph's 4 MB limit: small attachments ride along while they fit, the rest
 * are added after the message exists.
 */
import { escapeHtml } from '../text/html';
import { fileAttachmentJson, SMALL_ATTACHMENT_LIMIT, type FileAttachment } from '../graph/mailbox-api';
import type { ItemMessage } from '../mime/read-message';

/** Our named property (a fixed GUID of this app): connector and item id. */
export const DEDUP_PROPERTY_ID = 'String {5c9d41a5-7f3e-4b3c-9a50-3f6a1d2e8b71} Name MobileArchiveItemId';
const REQUEST_BUDGET = 3_500_000;

export function dedupValue(connectorId: string, itemId: string): string {
  return `${connectorId}:${itemId}`;
}

export function attachmentsOf(message: ItemMessage): FileAttachment[] {
  return message.attachments.map((a) => ({
    name: a.filename,
    contentType: a.mimeType,
    content: a.content,
    isInline: a.disposition === 'inline',
    contentId: a.contentId,
  }));
}

export function messagePayload(message: ItemMessage, connectorId: string, itemId: string): { payload: Record<string, unknown>; deferred: FileAttachment[] } {
  const when = message.date.toISOString();
  const recipient = (a: { name: string; address: string }) => ({ emailAddress: { name: a.name, address: a.address } });
  const payload: Record<string, unknown> = {
    subject: message.subject,
    body: { contentType: 'html', content: message.html || `<pre>${escapeHtml(message.text)}</pre>` },
    from: recipient(message.from),
    sender: recipient(message.from),
    toRecipients: message.to.map(recipient),
    ccRecipients: message.cc.map(recipient),
    internetMessageId: message.internetMessageId,
    isRead: true,
    singleValueExtendedProperties: [
      { id: 'Integer 0x0E07', value: '1' },
      { id: 'SystemTime 0x0E06', value: when },
      { id: 'SystemTime 0x0039', value: when },
      { id: DEDUP_PROPERTY_ID, value: dedupValue(connectorId, itemId) },
    ],
  };
  let size = Buffer.byteLength(JSON.stringify(payload));
  const inline: unknown[] = [];
  const deferred: FileAttachment[] = [];
  for (const a of attachmentsOf(message)) {
    const json = fileAttachmentJson(a);
    const cost = Buffer.byteLength(JSON.stringify(json)) + 1;
    if (a.content.length < SMALL_ATTACHMENT_LIMIT && size + cost < REQUEST_BUDGET) {
      inline.push(json);
      size += cost;
    } else deferred.push(a);
  }
  if (inline.length > 0) payload.attachments = inline;
  return { payload, deferred };
}
