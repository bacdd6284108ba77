/**
 * The Graph calls the importer makes, per mailbox, never more than 4 at once per mailbox from this
 * instance (Exchange Online allows 4 concurrent requests per app and mailbox; more are answered 429).
 * https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import { failureOf, HttpError, parseRetryAfter } from '../http/http-error';
import { decideRetry } from '../http/retry-decision';
import type { MailboxBudget } from './mailbox-budget';
import { RangeReader, type AttachmentBytes } from './range-reader';

export const MAILBOX_CONCURRENCY = 4;
/** Attachments under 3 MB are posted whole; 3 MB to 150 MB go through an upload session. */
export const SMALL_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
/** Upload session chunks: under the 4 MB limit, in multiples of 320 KiB. */
export const UPLOAD_CHUNK = 11 * 320 * 1024;

export interface FileAttachment extends AttachmentBytes {
  contentType: string;
  isInline: boolean;
  contentId?: string;
}

export type MailboxCheck = { status: 'mailbox'; userId: string; upn: string } | { status: 'no-user' | 'no-mailbox' | 'out-of-scope'; reason: string };

export interface AttachmentInfo {
  id: string;
  name: string;
  contentId: string | null;
  /** Graph's size of the stored attachment item: NOT the byte count, never compare it with one. */
  size: number;
}

/**
 * Why Exchange will not let the app into a mailbox, if that is what a failure says; such a
 * participant is unmapped with this reason instead of failing the item for everyone:
 * - 403 ErrorAccessDenied: outside the app's RBAC for Applications scope
 *   (https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac);
 * - 404 MailboxNotEnabledForRESTAPI: no Exchange Online mailbox (unlicensed, on-premises, soft-deleted);
 * - 404 ErrorNonExistentMailbox / ErrorInvalidUser: a mail user or other recipient without a mailbox.
 */
export function mailboxRefusal(err: unknown): { status: 'no-mailbox' | 'out-of-scope'; code: string } | undefined {
  const { status, code } = failureOf(err);
  if (status === 403 && code === 'ErrorAccessDenied') return { status: 'out-of-scope', code };
  if (status === 404 && (code === 'MailboxNotEnabledForRESTAPI' || code === 'ErrorNonExistentMailbox' || code === 'ErrorInvalidUser')) {
    return { status: 'no-mailbox', code };
  }
  return undefined;
}

export function refusalReason(address: string, refusal: { status: 'no-mailbox' | 'out-of-scope'; code: string }): string {
  return refusal.status === 'out-of-scope'
    ? `${address} is outside the app's Exchange RBAC scope (403 ${refusal.code}): add the mailbox to the scope, then re-drive`
    : `${address} has no Exchange Online mailbox (${refusal.code})`;
}

/** An OData string literal: quotes doubled. */
const q = (s: string) => s.replace(/'/g, "''");

/**
 * A $filter value as it must be on the wire. The SDK appends query values as given, and a server
 * decodes them: unencoded, "+" becomes a space, "&" ends the value and "#" ends the URL.
 */
const filterOf = (expression: string) => encodeURIComponent(expression);

export interface StoredMessageView {
  id: string;
  isDraft: boolean;
  receivedDateTime: string;
  sentDateTime: string | null;
  subject: string;
  internetMessageId: string | null;
  internetMessageHeaders?: { name: string; value: string }[];
  parentFolderId: string;
  singleValueExtendedProperties?: { id: string; value: string }[];
}

export interface DeltaPage {
  messages: { id: string; internetMessageId: string | null; receivedDateTime: string | null; removed: boolean }[];
  nextLink?: string;
  deltaLink?: string;
}

/**
 * A nextLink or deltaLink as a path on the configured endpoint: the SDK reads absolute links only
 * when they are https (not the local simulator), and a GRAPH_ENDPOINT proxy should carry them too.
 */
function pathOfLink(link: string): string {
  return link.replace(/^https?:\/\/[^/]+\/(v1\.0|beta)(?=\/)/, '');
}

/** https://learn.microsoft.com/en-us/graph/api/resources/mailfolder (well-known folder names) */
const WELL_KNOWN_FOLDERS = new Set(['inbox', 'archive', 'junkemail', 'deleteditems', 'sentitems', 'drafts', 'msgfolderroot']);

export class MailboxApi {
  private readonly limits = new Map<string, ReturnType<typeof pLimit>>();

  constructor(
    private readonly client: Client,
    private readonly beta: Client,
    private readonly options: { maxRetryAfterSeconds: number; uploadRetries?: number },
    /** The mailbox budget shared by every instance; without it, 4 at once per mailbox in this process only. */
    private readonly budget?: MailboxBudget,
  ) {}

  /** Hands back the mailbox budget's lanes this process holds (at shutdown), so other instances need not wait out their leases. */
  async close(): Promise<void> {
    await this.budget?.close();
  }

  /** Runs one request against a mailbox within its budget; `bytes`: the request body, which the upload limit counts. */
  private inMailbox<T>(userId: string, call: () => Promise<T>, bytes = 0): Promise<T> {
    if (this.budget) return this.budget.run(userId, bytes, call);
    let limit = this.limits.get(userId);
    if (!limit) {
      limit = pLimit(MAILBOX_CONCURRENCY);
      this.limits.set(userId, limit);
    }
    return limit(call);
  }

  /**
   * Is there a user with this address (primary, UPN or an alias in proxyAddresses), and may the app
   * write to its Exchange Online mailbox? Directory string comparisons ignore case, so 'smtp:' also
   * matches the primary 'SMTP:' entry.
   * https://learn.microsoft.com/en-us/graph/api/resources/user#properties (proxyAddresses: $filter eq, any)
   */
  async checkMailbox(address: string): Promise<MailboxCheck> {
    const found = (await this.client
      .api('/users')
      .filter(filterOf(`mail eq '${q(address)}' or userPrincipalName eq '${q(address)}' or proxyAddresses/any(p:p eq 'smtp:${q(address)}')`))
      .select('id,userPrincipalName,mail,userType')
      .get()) as { value: { id: string; userPrincipalName: string; userType?: string }[] };
    const user = found.value[0];
    if (!user) return { status: 'no-user', reason: `no Microsoft 365 user has the address ${address}` };
    if (user.userType === 'Guest') return { status: 'no-mailbox', reason: `${address} is a guest of the tenant: its mailbox is in another organisation` };
    try {
      await this.inMailbox(user.id, () => this.client.api(`/users/${user.id}/mailFolders/inbox`).select('id').get());
    } catch (err) {
      const refusal = mailboxRefusal(err);
      if (refusal) return { status: refusal.status, reason: refusalReason(address, refusal) };
      throw err;
    }
    return { status: 'mailbox', userId: user.id, upn: user.userPrincipalName };
  }

  async findFolder(userId: string, displayName: string): Promise<string | undefined> {
    const res = (await this.inMailbox(userId, () =>
      this.client
        .api(`/users/${userId}/mailFolders`)
        .filter(filterOf(`displayName eq '${q(displayName)}'`))
        .select('id,displayName')
        .get(),
    )) as { value: { id: string }[] };
    return res.value[0]?.id;
  }

  /** A folder by well-known name (inbox, archive, ...) or by the display name of a top-level folder. */
  async resolveFolder(userId: string, nameOrWellKnown: string): Promise<string | undefined> {
    if (WELL_KNOWN_FOLDERS.has(nameOrWellKnown.toLowerCase())) {
      const res = (await this.inMailbox(userId, () => this.client.api(`/users/${userId}/mailFolders/${nameOrWellKnown.toLowerCase()}`).select('id').get())) as {
        id: string;
      };
      return res.id;
    }
    return this.findFolder(userId, nameOrWellKnown);
  }

  /**
   * One page of a folder's message delta: the first round from the folder, later rounds from the
   * link the last one gave. Pages hold `pageSize` messages at most (Prefer: odata.maxpagesize).
   * An expired link is answered 410 Gone: the caller starts a new round.
   * https://learn.microsoft.com/en-us/graph/api/message-delta
   */
  async deltaPage(userId: string, folderId: string, link: string | undefined, pageSize: number): Promise<DeltaPage> {
    const request = link
      ? this.client.api(pathOfLink(link))
      : this.client.api(`/users/${userId}/mailFolders/${folderId}/messages/delta`).select('id,internetMessageId,receivedDateTime');
    const res = (await this.inMailbox(userId, () => request.header('Prefer', `odata.maxpagesize=${pageSize}`).get())) as {
      value: { id: string; internetMessageId?: string; receivedDateTime?: string; '@removed'?: unknown }[];
      '@odata.nextLink'?: string;
      '@odata.deltaLink'?: string;
    };
    return {
      messages: res.value.map((m) => ({
        id: m.id,
        internetMessageId: m.internetMessageId ?? null,
        receivedDateTime: m.receivedDateTime ?? null,
        removed: m['@removed'] !== undefined,
      })),
      nextLink: res['@odata.nextLink'],
      deltaLink: res['@odata.deltaLink'],
    };
  }

  /**
   * The message as MIME, read only up to `maxBytes` (undefined when it is larger).
   * https://learn.microsoft.com/en-us/graph/outlook-get-mime-message
   */
  async messageMime(userId: string, messageId: string, maxBytes: number): Promise<Buffer | undefined> {
    const body = (await this.inMailbox(userId, () =>
      this.client.api(`/users/${userId}/messages/${messageId}/$value`).getStream(),
    )) as AsyncIterable<Uint8Array>;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > maxBytes) {
        await (body as unknown as { cancel?: () => Promise<void> }).cancel?.().catch(() => undefined);
        return undefined;
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }

  /** Moves a message to another folder; it gets a new id there. https://learn.microsoft.com/en-us/graph/api/message-move */
  async moveMessage(userId: string, messageId: string, destinationId: string): Promise<string> {
    const res = (await this.inMailbox(userId, () => this.client.api(`/users/${userId}/messages/${messageId}/move`).post({ destinationId }))) as { id: string };
    return res.id;
  }

  /** Finds the folder or creates it; a concurrent creator's ErrorFolderExists means it is there now. */
  async ensureFolder(userId: string, displayName: string): Promise<string> {
    const existing = await this.findFolder(userId, displayName);
    if (existing) return existing;
    try {
      const created = (await this.inMailbox(userId, () => this.client.api(`/users/${userId}/mailFolders`).post({ displayName }))) as { id: string };
      return created.id;
    } catch (err) {
      const { status, code } = failureOf(err);
      if (status !== 409 || code !== 'ErrorFolderExists') throw err;
      const raced = await this.findFolder(userId, displayName);
      if (!raced) throw err;
      return raced;
    }
  }

  async findByExtendedProperty(userId: string, folderId: string, propertyId: string, value: string): Promise<string | undefined> {
    const res = (await this.inMailbox(userId, () =>
      this.client
        .api(`/users/${userId}/mailFolders/${folderId}/messages`)
        .filter(filterOf(`singleValueExtendedProperties/any(ep: ep/id eq '${q(propertyId)}' and ep/value eq '${q(value)}')`))
        .select('id')
        .top(1)
        .get(),
    )) as { value: { id: string }[] };
    return res.value[0]?.id;
  }

  async findByInternetMessageId(userId: string, folderId: string, internetMessageId: string): Promise<string | undefined> {
    const res = (await this.inMailbox(userId, () =>
      this.client
        .api(`/users/${userId}/mailFolders/${folderId}/messages`)
        .filter(filterOf(`internetMessageId eq '${q(internetMessageId)}'`))
        .select('id')
        .top(1)
        .get(),
    )) as { value: { id: string }[] };
    return res.value[0]?.id;
  }

  async createMessage(userId: string, folderId: string, payload: unknown): Promise<string> {
    const body = JSON.stringify(payload);
    const res = (await this.inMailbox(
      userId,
      () => this.client.api(`/users/${userId}/mailFolders/${folderId}/messages`).header('Content-Type', 'application/json').post(body),
      Buffer.byteLength(body),
    )) as { id: string };
    return res.id;
  }

  /** beta importMime: the whole MIME message, base64, as text/plain. */
  async importMime(userId: string, folderId: string, eml: Buffer): Promise<string> {
    const body = eml.toString('base64');
    const res = (await this.inMailbox(
      userId,
      () => this.beta.api(`/users/${userId}/mailFolders/${folderId}/importMime`).header('Content-Type', 'text/plain').post(body),
      body.length,
    )) as { id: string };
    return res.id;
  }

  /** The message's attachments (without content), following at most a few pages. */
  async listAttachments(userId: string, messageId: string): Promise<AttachmentInfo[]> {
    const out: AttachmentInfo[] = [];
    let page = (await this.inMailbox(userId, () =>
      this.client.api(`/users/${userId}/messages/${messageId}/attachments`).select('id,name,contentId,size').top(100).get(),
    )) as { value: AttachmentInfo[]; '@odata.nextLink'?: string };
    for (let pages = 1; ; pages++) {
      out.push(...page.value.map((a) => ({ id: a.id, name: a.name, contentId: a.contentId ?? null, size: a.size })));
      const next = page['@odata.nextLink'];
      if (!next || pages >= 10) return out;
      page = (await this.inMailbox(userId, () => this.client.api(pathOfLink(next)).get())) as typeof page;
    }
  }

  /** One attachment's bytes (contentBytes of the fileAttachment). */
  async attachmentContent(userId: string, messageId: string, attachmentId: string): Promise<Buffer> {
    const res = (await this.inMailbox(userId, () => this.client.api(`/users/${userId}/messages/${messageId}/attachments/${attachmentId}`).get())) as {
      contentBytes?: string;
    };
    return Buffer.from(res.contentBytes ?? '', 'base64');
  }

  /** A message with the named extended properties (and custom headers) for reading a copy back. */
  async getMessage(userId: string, messageId: string, extendedPropertyIds: readonly string[]): Promise<StoredMessageView> {
    const expand = `singleValueExtendedProperties($filter=${extendedPropertyIds.map((id) => `id eq '${q(id)}'`).join(' or ')})`;
    return (await this.inMailbox(userId, () =>
      this.client
        .api(`/users/${userId}/messages/${messageId}`)
        .select('id,isDraft,receivedDateTime,sentDateTime,subject,internetMessageId,internetMessageHeaders,parentFolderId')
        .expand(encodeURIComponent(expand))
        .get(),
    )) as StoredMessageView;
  }

  async deleteMessage(userId: string, messageId: string): Promise<void> {
    await this.inMailbox(userId, () => this.client.api(`/users/${userId}/messages/${messageId}`).delete());
  }

  async deleteFolder(userId: string, folderId: string): Promise<void> {
    await this.inMailbox(userId, () => this.client.api(`/users/${userId}/mailFolders/${folderId}`).delete());
  }

  async addAttachment(userId: string, messageId: string, a: FileAttachment): Promise<void> {
    if (a.size >= SMALL_ATTACHMENT_LIMIT) return this.uploadAttachment(userId, messageId, a);
    const held = { ...a, content: a.content ?? (await new RangeReader(a).range(0, a.size)) };
    const body = JSON.stringify(fileAttachmentJson(held));
    await this.inMailbox(
      userId,
      () => this.client.api(`/users/${userId}/messages/${messageId}/attachments`).header('Content-Type', 'application/json').post(body),
      Buffer.byteLength(body),
    );
  }

  /**
   * Upload session: PUT byte ranges to the pre-authenticated URL (no Authorization header),
   * continuing from the server's nextExpectedRanges; a range whose answer was lost is sent again;
   * an expired session is started over.
   * https://learn.microsoft.com/en-us/graph/outlook-large-attachments
   */
  private async uploadAttachment(userId: string, messageId: string, a: FileAttachment): Promise<void> {
    const retries = this.options.uploadRetries ?? 5;
    for (let session = 0; session < 2; session++) {
      const created = (await this.inMailbox(userId, () =>
        this.client.api(`/users/${userId}/messages/${messageId}/attachments/createUploadSession`).post({
          AttachmentItem: {
            attachmentType: 'file',
            name: a.name,
            size: a.size,
            contentType: a.contentType,
            isInline: a.isInline,
            contentId: a.contentId,
          },
        }),
      )) as { uploadUrl: string };
      let offset = 0;
      // The bytes are read range by range (a streamed attachment is never held whole).
      const reader = new RangeReader(a);
      // Attempts at the current range; reset when the server accepts it.
      let attempt = 0;
      const retry = { maxRetries: retries, maxRetryAfterSeconds: this.options.maxRetryAfterSeconds, baseDelayMs: 250, maxDelayMs: 10_000 };
      while (offset < a.size) {
        const end = Math.min(a.size, offset + UPLOAD_CHUNK) - 1;
        const body = await reader.range(offset, end + 1 - offset);
        let res: Response;
        try {
          res = await this.inMailbox(
            userId,
            () =>
              fetch(created.uploadUrl, {
                method: 'PUT',
                headers: { 'Content-Range': `bytes ${offset}-${end}/${a.size}`, 'Content-Type': 'application/octet-stream' },
                body,
              }),
            body.length,
          );
        } catch (err) {
          // A range PUT is idempotent: the server answers with what it still expects.
          const decision = decideRetry({ attempt: attempt++, idempotent: true }, retry);
          if (!decision.retry) throw err;
          await sleep(decision.delayMs);
          continue;
        }
        if (res.status === 201) return;
        if (res.status === 200) {
          const body = (await res.json()) as { nextExpectedRanges?: string[] };
          offset = parseInt(body.nextExpectedRanges?.[0] ?? String(end + 1), 10);
          attempt = 0;
          continue;
        }
        const text = await res.text();
        if (res.status === 404) break; // session expired: start a new one
        const retryAfterSeconds = parseRetryAfter(res.headers.get('Retry-After'));
        const decision = decideRetry({ attempt: attempt++, idempotent: true, status: res.status, retryAfterSeconds }, retry);
        if (decision.retry) {
          await sleep(decision.delayMs);
          continue;
        }
        throw new HttpError(
          `attachment upload of ${a.name} failed with HTTP ${res.status}: ${text.slice(0, 300)}`,
          res.status,
          'UploadSessionFailed',
          retryAfterSeconds,
        );
      }
    }
    throw new Error(`attachment upload of ${a.name}: the upload session expired twice`);
  }
}

export function fileAttachmentJson(a: FileAttachment & { content: Buffer }) {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: a.name,
    contentType: a.contentType,
    contentBytes: a.content.toString('base64'),
    isInline: a.isInline,
    ...(a.contentId ? { contentId: a.contentId } : {}),
  };
}
