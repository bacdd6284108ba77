/** /users: look-up by id, UPN or $filter on mail/userPrincipalName. */
import { GraphHttpError } from '../errors';
import type { DirectoryUser } from '../directory';
import type { SimContext, SimRequest } from '../context';
import { parseUserFilter, select } from '../odata';

export function userView(u: DirectoryUser) {
  return { id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName, mail: u.mail, userType: u.userType };
}

export function findUser(ctx: SimContext, idOrUpn: string): DirectoryUser | undefined {
  const key = decodeURIComponent(idOrUpn).toLowerCase();
  return ctx.users.find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key);
}

export function listUsers(ctx: SimContext, r: SimRequest) {
  const filter = r.url.searchParams.get('$filter');
  if (!filter) return { value: ctx.users.map((u) => select(userView(u), r.url.searchParams.get('$select'))) };
  const { mailOrUpn, proxyAddress } = parseUserFilter(filter);
  const key = mailOrUpn.toLowerCase();
  // Directory string comparisons ignore case, so 'smtp:' matches the primary 'SMTP:' too.
  const found = ctx.users.filter(
    (u) =>
      u.mail?.toLowerCase() === key ||
      u.userPrincipalName.toLowerCase() === key ||
      (proxyAddress && u.proxyAddresses.some((p) => p.toLowerCase() === `smtp:${key}`)),
  );
  return { value: found.map((u) => select(userView(u), r.url.searchParams.get('$select'))) };
}

export function getUser(ctx: SimContext, r: SimRequest, idOrUpn: string) {
  const u = findUser(ctx, idOrUpn);
  if (!u)
    throw new GraphHttpError(
      404,
      'Request_ResourceNotFound',
      `Resource '${decodeURIComponent(idOrUpn)}' does not exist or one of its queried reference-property objects are not present.`,
    );
  return select(userView(u), r.url.searchParams.get('$select'));
}

/** The mailbox owner of a mailbox route, or the error Exchange gives for a user without a mailbox. */
export function mailboxUser(ctx: SimContext, idOrUpn: string): DirectoryUser {
  const u = findUser(ctx, idOrUpn);
  if (!u) throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${decodeURIComponent(idOrUpn)}' is invalid.`);
  if (!u.hasMailbox) {
    if (u.noMailboxCode === 'ErrorNonExistentMailbox')
      throw new GraphHttpError(404, 'ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it.`);
    throw new GraphHttpError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
  }
  const scope = ctx.options.mailboxScope;
  if (scope.length > 0 && !scope.some((s) => s.toLowerCase() === u.userPrincipalName.toLowerCase())) {
    // RBAC for Applications: a mailbox outside the app's management scope.
    throw new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  return u;
}
