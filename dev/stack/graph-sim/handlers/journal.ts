/**
 * What the smtp-mailbox source uses of a journal mailbox: SMTP delivery (a simulator hook standing
 * in for the vendor's mail server), the folder's message delta, a message's MIME (`$value`) and
 * message moves. Behaviour taken from Microsoft's pages (PARITY.md):
 * - delta pages hold 10 messages unless `Prefer: odata.maxpagesize` asks otherwise; a round ends
 *   with `@odata.deltaLink`; messages that left the folder come back as `@removed` rows;
 * - a link the service no longer knows answers 410 Gone (here: after expireDeltaLinks() or a restart);
 * - a moved message gets a new id; the old id answers 404 ErrorItemNotFound.
 */
import { GraphHttpError } from '../errors';
import type { SimContext, SimRequest } from '../context';
import { newId, type MailboxStore, type StoredMessage } from '../store';
import { mailboxUser } from './users';
import { resolveFolder } from './mail-folders';
import { findMessage, fromMime, messageView } from './messages';
import { select } from '../odata';

/** Tokens name the simulator process that issued them: a restarted simulator knows none (as a link Exchange evicted). */
let epoch = newId('epoch');

export function expireDeltaLinks(): void {
  epoch = newId('epoch');
}

/** The mailbox's next change number; after a restart it resumes above what the stored messages carry. */
function nextSeq(mb: MailboxStore): number {
  mb.seq ??= Math.max(0, ...[...mb.messages.values()].map((m) => m.seq ?? 0));
  return ++mb.seq;
}

/** A message arriving by SMTP into the Inbox, its MIME kept for `$value`. */
export async function deliver(ctx: SimContext, userId: string, mime: Buffer): Promise<StoredMessage> {
  const mb = ctx.store.mailbox(userId);
  const inbox = resolveFolder(mb, 'inbox');
  const m = await fromMime(Buffer.from(mime.toString('base64')), inbox.id, false);
  m.receivedDateTime = new Date().toISOString();
  m.isRead = false;
  m.createdBy = 'delivered';
  m.mime = mime.toString('base64');
  m.seq = nextSeq(mb);
  mb.messages.set(m.id, m);
  ctx.changed(userId, [m.id]);
  return m;
}

interface Token {
  epoch: string;
  folderId: string;
  /** Changes after this sequence belong to the round (0: the initial round, everything in the folder). */
  base: number;
  /** The round's end, fixed at its first page. */
  snapshot: number;
  /** Position reached: rows are ordered by (seq, id). */
  after?: [number, string];
}

const encode = (t: Token) => Buffer.from(JSON.stringify(t)).toString('base64url');

function decode(value: string, folderId: string): Token {
  let t: Token;
  try {
    t = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Token;
  } catch {
    throw new GraphHttpError(400, 'BadRequest', 'The state token is invalid.');
  }
  if (t.epoch !== epoch || t.folderId !== folderId) {
    throw new GraphHttpError(
      410,
      'SyncStateNotFound',
      'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
    );
  }
  return t;
}

/** GET /users/{id}/mailFolders/{folder}/messages/delta[?$deltatoken=|$skiptoken=] */
export function delta(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const f = resolveFolder(mb, folder);
  const skip = r.url.searchParams.get('$skiptoken');
  const deltaToken = r.url.searchParams.get('$deltatoken');
  const current = mb.seq ?? nextSeq(mb);
  const token: Token = skip
    ? decode(skip, f.id)
    : deltaToken
      ? { ...decode(deltaToken, f.id), snapshot: current, after: undefined }
      : { epoch, folderId: f.id, base: 0, snapshot: current };
  const prefer = /odata\.maxpagesize=(\d+)/.exec(String(r.req.headers.prefer ?? ''));
  const pageSize = Math.max(1, Math.min(1000, prefer ? Number(prefer[1]) : 10));

  type Row = { seq: number; id: string; row: Record<string, unknown> };
  const selectParam = r.url.searchParams.get('$select');
  const rows: Row[] = [];
  for (const m of mb.messages.values()) {
    const seq = m.seq ?? 0;
    if (m.folderId === f.id && seq > token.base && seq <= token.snapshot) rows.push({ seq, id: m.id, row: select(messageView(m), selectParam) });
  }
  if (token.base > 0) {
    for (const t of mb.tombstones ?? []) {
      if (t.folderId === f.id && t.seq > token.base && t.seq <= token.snapshot)
        rows.push({ seq: t.seq, id: t.id, row: { id: t.id, '@removed': { reason: 'deleted' } } });
    }
  }
  rows.sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
  const after = token.after;
  const rest = after ? rows.filter((x) => x.seq > after[0] || (x.seq === after[0] && x.id > after[1])) : rows;
  const page = rest.slice(0, pageSize);
  const link = `${ctx.baseUrl}/${r.version}/users/${user}/mailFolders/${folder}/messages/delta`;
  if (rest.length > pageSize) {
    const last = page[page.length - 1];
    return { value: page.map((x) => x.row), '@odata.nextLink': `${link}?$skiptoken=${encode({ ...token, after: [last.seq, last.id] })}` };
  }
  return {
    value: page.map((x) => x.row),
    '@odata.deltaLink': `${link}?$deltatoken=${encode({ epoch, folderId: f.id, base: token.snapshot, snapshot: token.snapshot })}`,
  };
}

/** GET /users/{id}/messages/{id}/$value: the MIME of the message. */
export function mimeValue(ctx: SimContext, _r: SimRequest, user: string, id: string): { raw: Buffer; contentType: string } {
  const m = findMessage(ctx.store.mailbox(mailboxUser(ctx, user).id), id);
  if (!m.mime) throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The simulator keeps MIME only for delivered messages.');
  return { raw: Buffer.from(m.mime, 'base64'), contentType: 'text/plain' };
}

/** POST /users/{id}/messages/{id}/move {"destinationId"}: a new id in the destination. */
export function moveMessage(ctx: SimContext, r: SimRequest, user: string, id: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const m = findMessage(mb, id);
  const body = JSON.parse(r.body.toString('utf8') || '{}') as { destinationId?: string };
  if (!body.destinationId) throw new GraphHttpError(400, 'ErrorInvalidRequest', 'destinationId is required.');
  const destination = resolveFolder(mb, body.destinationId);
  const seq = nextSeq(mb);
  (mb.tombstones ??= []).push({ id: m.id, folderId: m.folderId, seq });
  mb.messages.delete(m.id);
  const moved: StoredMessage = { ...m, id: newId(), folderId: destination.id, seq };
  mb.messages.set(moved.id, moved);
  ctx.changed(mailboxUser(ctx, user).id, [m.id, moved.id]);
  return [201, messageView(moved)];
}
