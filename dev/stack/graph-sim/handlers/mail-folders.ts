/** /users/{id}/mailFolders: list (optionally $filter=displayName eq '...'), get, create. */
import { GraphHttpError, badRequest } from '../errors';
import type { SimContext, SimRequest } from '../context';
import { parseFolderFilter, select } from '../odata';
import { newId, type StoredFolder, type MailboxStore } from '../store';
import { mailboxUser } from './users';

function folderView(mb: MailboxStore, f: StoredFolder) {
  const messages = [...mb.messages.values()].filter((m) => m.folderId === f.id);
  return {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId,
    childFolderCount: [...mb.folders.values()].filter((c) => c.parentFolderId === f.id).length,
    unreadItemCount: messages.filter((m) => !m.isRead).length,
    totalItemCount: messages.length,
    isHidden: false,
  };
}

export function resolveFolder(mb: MailboxStore, idOrWellKnown: string): StoredFolder {
  const key = decodeURIComponent(idOrWellKnown);
  const f = mb.folders.get(key) ?? [...mb.folders.values()].find((x) => x.wellKnownName === key.toLowerCase());
  if (!f) throw new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  return f;
}

const rootOf = (mb: MailboxStore) => [...mb.folders.values()][0].parentFolderId;

export function listFolders(ctx: SimContext, r: SimRequest, user: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  let folders = [...mb.folders.values()].filter((f) => f.parentFolderId === rootOf(mb));
  const filter = r.url.searchParams.get('$filter');
  if (filter) {
    const { displayName } = parseFolderFilter(filter);
    folders = folders.filter((f) => f.displayName.toLowerCase() === displayName.toLowerCase());
  }
  return { value: folders.map((f) => select(folderView(mb, f), r.url.searchParams.get('$select'))) };
}

export function getFolder(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  return select(folderView(mb, resolveFolder(mb, folder)), r.url.searchParams.get('$select'));
}

export function createFolder(ctx: SimContext, r: SimRequest, user: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const body = JSON.parse(r.body.toString('utf8') || '{}') as { displayName?: unknown };
  if (typeof body.displayName !== 'string' || body.displayName.trim() === '') throw badRequest('The folder display name is missing.', 'ErrorInvalidProperty');
  const root = rootOf(mb);
  if ([...mb.folders.values()].some((f) => f.parentFolderId === root && f.displayName.toLowerCase() === (body.displayName as string).toLowerCase())) {
    throw new GraphHttpError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  const folder: StoredFolder = { id: newId('AQMk'), displayName: body.displayName, parentFolderId: root };
  mb.folders.set(folder.id, folder);
  ctx.changed(mailboxUser(ctx, user).id);
  return folderView(mb, folder);
}

/** POST /users/{id}/mailFolders/{id}/move {destinationId}: e.g. a user moves the folder to Deleted Items. */
export function moveFolder(ctx: SimContext, r: SimRequest, user: string, folder: string) {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const f = resolveFolder(mb, folder);
  const body = JSON.parse(r.body.toString('utf8') || '{}') as { destinationId?: unknown };
  if (typeof body.destinationId !== 'string') throw badRequest('destinationId is required.', 'ErrorInvalidProperty');
  const destination = resolveFolder(mb, body.destinationId);
  f.parentFolderId = destination.id;
  ctx.changed(mailboxUser(ctx, user).id);
  return folderView(mb, f);
}

/** DELETE /users/{id}/mailFolders/{id}: the folder and its messages are gone (held items live on in Recoverable Items). */
export function deleteFolder(ctx: SimContext, _r: SimRequest, user: string, folder: string): void {
  const mb = ctx.store.mailbox(mailboxUser(ctx, user).id);
  const f = resolveFolder(mb, folder);
  if (f.wellKnownName) throw new GraphHttpError(403, 'ErrorDeleteDistinguishedFolder', 'Distinguished folders cannot be deleted.');
  const removed = [...mb.messages.values()].filter((m) => m.folderId === f.id).map((m) => m.id);
  for (const id of removed) mb.messages.delete(id);
  mb.folders.delete(f.id);
  ctx.changed(mailboxUser(ctx, user).id, removed);
}
