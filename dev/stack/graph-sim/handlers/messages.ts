/**
 * Messages as Exchange Online stores them through Graph:
 * - JSON create in a folder: a draft unless PR_MESSAGE_FLAGS (Integer 0x0E07) is set without
 *   MSGFLAG_UNSENT (8); receivedDateTime from PR_MESSAGE_DELIVERY_TIME (SystemTime 0x0E06) and
 *   sentDateTime from PR_CLIENT_SUBMIT_TIME (SystemTime 0x0039).
 *   https://learn.microsoft.com/en-us/graph/api/user-post-messages
 * - MIME (text/plain, base64) on /messages: always a draft, in Drafts. MIME on the folder endpoint
 *   is refused.
 * - beta importMime on a folder: a non-draft message from MIME.
 *   https://learn.microsoft.com/en-us/graph/api/mailfolder-importmime?view=graph-rest-beta
 * - attachments: POST under 3 MB; upload sessions for 3 MB to 150 MB, chunks of at most 4 MB, no
 *   Authorization header on the upload URL. https://learn.microsoft.com/en-us/graph/outlook-large-attachments
 *   Their `size` is Graph's, not the byte count; their contentId is kept as given.
 * - the mailbox's message size limit (35 MB unless raised), answered ErrorMessageSizeExceeded;
 * - switchable strictness (see options.ts): attachments only on drafts, and the 2026-12-31
 *   enforcement on sensitive properties of non-draft messages.
 */
import { randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import { GraphHttpError, badRequest, notFound } from '../errors';
import type { SimContext, SimRequest } from '../context';
import { parseMessageFilter, select } from '../odata';
import { newId, reportedSize, type MailboxStore, type StoredAttachment, type StoredMessage } from '../store';
import type { DirectoryUser } from '../directory';
import { resolveFolder } from './mail-folders';
import { mailboxUser } from './users';

export const SMALL_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
export const LARGE_ATTACHMENT_LIMIT = 150 * 1024 * 1024;
export const UPLOAD_CHUNK_LIMIT = 4 * 1024 * 1024;
const MSGFLAG_READ = 0x1;
const MSGFLAG_UNSENT = 0x8;
/** Custom internet headers a create may carry (x- names only). */
export const MAX_CUSTOM_HEADERS = 5;

/** What the message counts against the mailbox's size limit: body and attachments as stored. */
function messageSize(m: Pick<StoredMessage, 'body' | 'attachments'>): number {
  return Buffer.byteLength(m.body.content) + m.attachments.reduce((n, a) => n + a.size, 0);
}

/** Refuses a message that would be over the mailbox's MaxReceiveSize (35 MB unless raised, 150 MB at most). */
function checkSizeLimit(ctx: SimContext, owner: DirectoryUser, size: number): void {
  const large = ctx.options.largeMailboxes.some((u) => u.toLowerCase() === owner.userPrincipalName.toLowerCase());
  const limitMb = large ? 150 : ctx.options.maxMessageMb;
  if (size > limitMb * 1024 * 1024) {
    throw new GraphHttpError(
      413,
      'ErrorMessageSizeExceeded',
      `The message exceeds the maximum supported size of ${limitMb} MB for this mailbox. Cannot save changes made to an item to store.`,
    );
  }
}

/** Adding an attachment to a message that is not a draft: refused in the strict modes. */
function checkAttachmentAllowed(ctx: SimContext, m: StoredMessage): void {
  if (m.isDraft) return;
  if (ctx.options.strictNonDraftAttachments) {
    throw new GraphHttpError(400, 'ErrorInvalidOperation', 'Attachments can be added only to draft messages.');
  }
  if (ctx.options.enforceSensitiveProperties && !ctx.options.mailAdvanced) {
    throw new GraphHttpError(403, 'ErrorAccessDenied', 'Changing the content of a non-draft message requires Mail-Advanced.ReadWrite.');
  }
}

/**
 * `$expand=singleValueExtendedProperties($filter=id eq '...' or id eq '...')`: the named ids only
 * (Graph returns extended properties only when expanded, and only those the filter names).
 */
function expandedProperties(m: StoredMessage, expand: string | null): { singleValueExtendedProperties?: { id: string; value: string }[] } {
  if (!expand) return {};
  const inner = /^singleValueExtendedProperties\(\$filter=(.*)\)$/i.exec(expand.trim());
  if (!inner) throw badRequest(`Unsupported $expand: ${expand}`, 'ErrorInvalidUrlQuery');
  const ids = [...inner[1].matchAll(/id eq '((?:[^']|'')*)'/gi)].map((x) => x[1].replace(/''/g, "'").toLowerCase());
  return { singleValueExtendedProperties: m.singleValueExtendedProperties.filter((p) => ids.includes(p.id.toLowerCase())) };
}

export function messageView(m: StoredMessage, expand: string | null = null, selectParam: string | null = null) {
  const wantsHeaders = (selectParam ?? '').split(',').some((s) => s.trim() === 'internetMessageHeaders');
  return {
    id: m.id,
    createdDateTime: m.createdDateTime,
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime,
    hasAttachments: m.attachments.some((a) => !a.isInline),
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    isRead: m.isRead,
    isDraft: m.isDraft,
    parentFolderId: m.folderId,
    from: m.from,
    toRecipients: m.toRecipients,
    ccRecipients: m.ccRecipients,
    body: m.body,
    ...(wantsHeaders ? { internetMessageHeaders: m.internetMessageHeaders } : {}),
    ...expandedProperties(m, expand),
  };
}

function attachmentView(a: StoredAttachment, withContent = false) {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: a.id,
    name: a.name,
    contentType: a.contentType,
    size: a.size,
    isInline: a.isInline,
    contentId: a.contentId,
    lastModifiedDateTime: null,
    ...(withContent ? { contentBytes: a.content.toString('base64') } : {}),
  };
}

export function findMessage(mb: MailboxStore, id: string): StoredMessage {
  const m = mb.messages.get(decodeURIComponent(id));
  if (!m) throw notFound('object');
  return m;
}

function isJson(r: SimRequest): boolean {
  return /^application\/json/i.test(String(r.req.headers['content-type'] ?? ''));
}

function parseJson(r: SimRequest): Record<string, unknown> {
  try {
    return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', 'BadRequest');
  }
}

/** A string property of a request body, or the fallback when it is absent or not a string. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function fileAttachment(raw: Record<string, unknown>): StoredAttachment {
  if (raw['@odata.type'] !== '#microsoft.graph.fileAttachment') throw badRequest('Only file attachments are supported here.', 'ErrorInvalidProperty');
  const content = Buffer.from(text(raw.contentBytes, ''), 'base64');
  if (content.length >= SMALL_ATTACHMENT_LIMIT) {
    throw new GraphHttpError(413, 'ErrorAttachmentSizeLimitExceeded', 'Attachments of 3 MB or more must be uploaded with an upload session.');
  }
  const name = text(raw.name, 'attachment');
  return {
    id: newId('AAMkAtt'),
    name,
    contentType: text(raw.contentType, 'application/octet-stream'),
    size: reportedSize(content.length, name),
    isInline: raw.isInline === true,
    contentId: typeof raw.contentId === 'string' ? raw.contentId : null,
    content,
  };
}

function fromJson(body: Record<string, unknown>, folderId: string, forceDraft: boolean): StoredMessage {
  const props = Array.isArray(body.singleValueExtendedProperties) ? (body.singleValueExtendedProperties as { id: string; value: string }[]) : [];
  for (const p of props) {
    if (typeof p?.id !== 'string' || typeof p?.value !== 'string')
      throw badRequest('Each singleValueExtendedProperty needs a string id and value.', 'ErrorInvalidProperty');
  }
  const prop = (id: string) => props.find((p) => p.id.toLowerCase() === id.toLowerCase())?.value;
  const flagsText = prop('Integer 0x0E07') ?? prop('Integer 0x0e07');
  const flags = flagsText === undefined ? undefined : Number(flagsText);
  if (flags !== undefined && !Number.isInteger(flags)) throw badRequest('Integer 0x0E07 must be an integer.', 'ErrorInvalidProperty');
  const isDraft = forceDraft || flags === undefined || (flags & MSGFLAG_UNSENT) !== 0;
  const now = new Date().toISOString();
  const time = (id: string) => {
    const v = prop(id);
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw badRequest(`${id} must be a date-time.`, 'ErrorInvalidProperty');
    return v ? new Date(v).toISOString() : undefined;
  };
  const attachments = Array.isArray(body.attachments) ? (body.attachments as Record<string, unknown>[]).map(fileAttachment) : [];
  const headers = Array.isArray(body.internetMessageHeaders) ? (body.internetMessageHeaders as { name?: unknown; value?: unknown }[]) : [];
  if (headers.length > MAX_CUSTOM_HEADERS) {
    throw badRequest(
      `Maximum number of headers in one message should be less than or equal to ${MAX_CUSTOM_HEADERS}.`,
      'InvalidInternetMessageHeaderCollection',
    );
  }
  for (const h of headers) {
    if (typeof h.name !== 'string' || typeof h.value !== 'string' || !/^x-/i.test(h.name)) {
      throw badRequest(`The internet message header name '${String(h.name)}' should start with 'x-' or 'X-'.`, 'InvalidInternetMessageHeader');
    }
  }
  return {
    id: newId(),
    folderId,
    createdDateTime: now,
    receivedDateTime: isDraft ? now : (time('SystemTime 0x0E06') ?? now),
    sentDateTime: isDraft ? null : (time('SystemTime 0x0039') ?? null),
    isDraft,
    isRead: flags !== undefined && (flags & MSGFLAG_READ) !== 0,
    subject: text(body.subject, ''),
    internetMessageId: typeof body.internetMessageId === 'string' ? body.internetMessageId : null,
    from: body.from ?? null,
    toRecipients: Array.isArray(body.toRecipients) ? body.toRecipients : [],
    ccRecipients: Array.isArray(body.ccRecipients) ? body.ccRecipients : [],
    body: (body.body as { contentType: string; content: string }) ?? { contentType: 'text', content: '' },
    singleValueExtendedProperties: props,
    internetMessageHeaders: headers as { name: string; value: string }[],
    attachments,
    createdBy: 'json',
  };
}

export async function fromMime(base64: Buffer, folderId: string, isDraft: boolean): Promise<StoredMessage> {
  const text = base64.toString('ascii').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length === 0)
    throw badRequest('The MIME content must be base64-encoded.', 'ErrorMimeContentInvalidBase64String');
  const email = await PostalMime.parse(Buffer.from(text, 'base64'));
  const now = new Date().toISOString();
  const addr = (a: { name?: string; address?: string } | undefined) => (a?.address ? { emailAddress: { name: a.name ?? '', address: a.address } } : null);
  return {
    id: newId(),
    folderId,
    createdDateTime: now,
    receivedDateTime: isDraft ? now : email.date ? new Date(email.date).toISOString() : now,
    sentDateTime: isDraft ? null : email.date ? new Date(email.date).toISOString() : null,
    isDraft,
    isRead: !isDraft,
    subject: email.subject ?? '',
    internetMessageId: email.messageId ?? null,
    from: addr(email.from),
    toRecipients: (email.to ?? []).map((a) => addr(a as { name?: string; address?: string })).filter(Boolean),
    ccRecipients: (email.cc ?? []).map((a) => addr(a as { name?: string; address?: string })).filter(Boolean),
    body: email.html ? { contentType: 'html', content: email.html } : { contentType: 'text', content: email.text ?? '' },
    singleValueExtendedProperties: [],
    internetMessageHeaders: email.headers.filter((h) => /^x-/i.test(h.key)).map((h) => ({ name: h.key, value: h.value })),
    attachments: email.attachments.map((a) => {
      const content = Buffer.from(a.content as ArrayBuffer);
      return {
        id: newId('AAMkAtt'),
        name: a.filename ?? 'attachment',
        contentType: a.mimeType,
        size: reportedSize(content.length, a.filename ?? 'attachment'),
        isInline: a.disposition === 'inline',
        contentId: a.contentId ?? null,
        content,
      };
    }),
    createdBy: isDraft ? 'mime-draft' : 'importMime',
  };
}

/** POST /users/{id}/mailFolders/{folder}/messages (JSON only). */
export function createInFolder(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  const owner = mailboxUser(ctx, user);
  const mb = ctx.store.mailbox(owner.id);
  const f = resolveFolder(mb, folder);
  if (!isJson(r)) throw badRequest('Cannot process MIME content on this endpoint; create MIME messages on /messages.', 'RequestBodyRead');
  const m = fromJson(parseJson(r), f.id, false);
  checkSizeLimit(ctx, owner, messageSize(m));
  mb.messages.set(m.id, m);
  ctx.changed(owner.id, [m.id]);
  return messageView(m);
}

/** POST /users/{id}/messages: JSON or MIME, always a draft in Drafts. */
export async function createDraft(ctx: SimContext, r: SimRequest, user: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const drafts = resolveFolder(mb, 'drafts');
  const m = isJson(r) ? fromJson(parseJson(r), drafts.id, true) : await fromMime(r.body, drafts.id, true);
  mb.messages.set(m.id, m);
  ctx.changed(mailboxUser(ctx, user).id, [m.id]);
  return messageView(m);
}

/** POST beta /users/{id}/mailFolders/{folder}/importMime. */
export async function importMime(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  if (r.version !== 'beta') throw new GraphHttpError(400, 'BadRequest', "Resource not found for the segment 'importMime'.");
  const owner = mailboxUser(ctx, user);
  const mb = ctx.store.mailbox(owner.id);
  const f = resolveFolder(mb, folder);
  const m = await fromMime(r.body, f.id, false);
  checkSizeLimit(ctx, owner, messageSize(m));
  mb.messages.set(m.id, m);
  ctx.changed(owner.id, [m.id]);
  return messageView(m);
}

/** GET /users/{id}/mailFolders/{folder}/messages with the $filter forms the app uses. */
export function listInFolder(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const f = resolveFolder(mb, folder);
  let messages = [...mb.messages.values()].filter((m) => m.folderId === f.id);
  const filter = r.url.searchParams.get('$filter');
  if (filter) {
    const q = parseMessageFilter(filter);
    messages = messages.filter((m) =>
      'internetMessageId' in q
        ? m.internetMessageId === q.internetMessageId
        : m.singleValueExtendedProperties.some((p) => p.id.toLowerCase() === q.extendedPropertyId.toLowerCase() && p.value === q.value),
    );
  }
  const top = Number(r.url.searchParams.get('$top') ?? 10);
  return { value: messages.slice(0, top).map((m) => select(messageView(m, null, r.url.searchParams.get('$select')), r.url.searchParams.get('$select'))) };
}

export function getMessage(ctx: SimContext, r: SimRequest, user: string, id: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const selectParam = r.url.searchParams.get('$select');
  const view = messageView(findMessage(mb, id), r.url.searchParams.get('$expand'), selectParam);
  // An expanded navigation property is returned whatever $select names.
  return {
    ...select(view, selectParam),
    ...('singleValueExtendedProperties' in view ? { singleValueExtendedProperties: view.singleValueExtendedProperties } : {}),
  };
}

export function listAttachments(ctx: SimContext, r: SimRequest, user: string, id: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  return { value: findMessage(mb, id).attachments.map((a) => select(attachmentView(a), r.url.searchParams.get('$select'))) };
}

/** GET .../attachments/{id}: with contentBytes, as Graph returns a file attachment. */
export function getAttachment(ctx: SimContext, _r: SimRequest, user: string, id: string, attachmentId: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const a = findMessage(mb, id).attachments.find((x) => x.id === decodeURIComponent(attachmentId));
  if (!a) throw notFound('attachment');
  return attachmentView(a, true);
}

/** DELETE /users/{id}/messages/{id}: the message goes to Deleted Items (in a held mailbox it is kept in Recoverable Items). */
export function deleteMessage(ctx: SimContext, _r: SimRequest, user: string, id: string): void {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const m = findMessage(mb, id);
  const deleted = resolveFolder(mb, 'deleteditems');
  if (m.folderId === deleted.id) mb.messages.delete(m.id);
  else m.folderId = deleted.id;
  ctx.changed(mailboxUser(ctx, user).id, [m.id]);
}

export function addAttachment(ctx: SimContext, r: SimRequest, user: string, id: string) {
  const owner = mailboxUser(ctx, user);
  const mb = ctx.store.mailbox(owner.id);
  const m = findMessage(mb, id);
  checkAttachmentAllowed(ctx, m);
  const a = fileAttachment(parseJson(r));
  checkSizeLimit(ctx, owner, messageSize(m) + a.size);
  m.attachments.push(a);
  ctx.changed(owner.id, [m.id]);
  return attachmentView(a);
}

/** POST .../attachments/createUploadSession */
export function createUploadSession(ctx: SimContext, r: SimRequest, user: string, id: string) {
  const owner = mailboxUser(ctx, user);
  const m = findMessage(ctx.store.mailbox(owner.id), id);
  const item = (parseJson(r).AttachmentItem ?? {}) as Record<string, unknown>;
  const size = Number(item.size);
  if (item.attachmentType !== 'file' || typeof item.name !== 'string' || !Number.isInteger(size)) {
    throw badRequest('AttachmentItem needs attachmentType "file", a name and a size.', 'ErrorInvalidProperty');
  }
  if (size < SMALL_ATTACHMENT_LIMIT)
    throw badRequest('Attachment size must be greater than the minimum size.', 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize');
  if (size > LARGE_ATTACHMENT_LIMIT) throw new GraphHttpError(413, 'ErrorAttachmentSizeLimitExceeded', 'The attachment exceeds the maximum size of 150 MB.');
  checkAttachmentAllowed(ctx, m);
  checkSizeLimit(ctx, owner, messageSize(m) + reportedSize(size, item.name));
  const token = randomBytes(24).toString('base64url');
  const expires = Date.now() + ctx.options.uploadSessionMinutes * 60_000;
  ctx.store.uploads.set(token, {
    token,
    userId: owner.id,
    messageId: m.id,
    name: item.name,
    contentType: typeof item.contentType === 'string' ? item.contentType : 'application/octet-stream',
    size,
    isInline: item.isInline === true,
    contentId: typeof item.contentId === 'string' ? item.contentId : null,
    received: [],
    receivedBytes: 0,
    expires,
  });
  return {
    '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
    uploadUrl: `${ctx.baseUrl}/upload/AttachmentSessions/${token}?authtoken=${randomBytes(12).toString('hex')}`,
    expirationDateTime: new Date(expires).toISOString(),
    nextExpectedRanges: ['0-'],
  };
}

export interface UploadAnswer {
  status: 200 | 201;
  body?: unknown;
  headers?: Record<string, string>;
}

/** PUT {uploadUrl}: one byte range; the last one creates the attachment. */
export function uploadChunk(ctx: SimContext, r: SimRequest, token: string): UploadAnswer {
  if (r.req.headers.authorization) {
    throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'The upload URL is pre-authenticated: do not send an Authorization header.');
  }
  const session = ctx.store.uploads.get(token);
  if (!session || session.expires < Date.now()) {
    ctx.store.uploads.delete(token);
    throw new GraphHttpError(404, 'ErrorItemNotFound', 'The upload session does not exist or has expired.');
  }
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.req.headers['content-range'] ?? ''));
  if (!m) throw badRequest('Content-Range must be "bytes {start}-{end}/{total}".', 'InvalidContentRange');
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (total !== session.size) throw badRequest(`Content-Range total ${total} differs from the session size ${session.size}.`, 'InvalidContentRange');
  if (end < start || end - start + 1 !== r.body.length) throw badRequest('Content-Range does not match the body length.', 'InvalidContentRange');
  if (r.body.length > UPLOAD_CHUNK_LIMIT) throw new GraphHttpError(413, 'RequestEntityTooLarge', 'Each byte range must be smaller than 4 MB.');
  if (start > session.receivedBytes) {
    throw new GraphHttpError(416, 'InvalidRange', `The next expected range starts at ${session.receivedBytes}.`);
  }
  // A range re-sent after a lost answer: keep only what is new (the session's state is authoritative).
  const fresh = r.body.subarray(session.receivedBytes - start);
  if (fresh.length > 0) {
    session.received.push(Buffer.from(fresh));
    session.receivedBytes += fresh.length;
  }
  session.expires = Date.now() + ctx.options.uploadSessionMinutes * 60_000;
  if (session.receivedBytes < session.size) {
    return { status: 200, body: { expirationDateTime: new Date(session.expires).toISOString(), nextExpectedRanges: [String(session.receivedBytes)] } };
  }
  const message = findMessage(ctx.store.mailbox(session.userId), session.messageId);
  const attachment: StoredAttachment = {
    id: newId('AAMkAtt'),
    name: session.name,
    contentType: session.contentType,
    size: reportedSize(session.size, session.name),
    isInline: session.isInline,
    contentId: session.contentId,
    content: Buffer.concat(session.received),
  };
  message.attachments.push(attachment);
  ctx.store.uploads.delete(token);
  ctx.changed(session.userId, [message.id]);
  return { status: 201, headers: { Location: `${ctx.baseUrl}/v1.0/users('${session.userId}')/messages('${message.id}')/attachments('${attachment.id}')` } };
}
