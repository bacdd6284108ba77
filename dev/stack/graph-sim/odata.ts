/**
 * The OData query forms the app sends, parsed strictly: anything else is answered 400 as Graph
 * answers an unsupported filter, so the simulator cannot silently accept a query Graph would refuse.
 */
import { badRequest } from './errors';

const str = "'((?:[^']|'')*)'";
const unquote = (s: string) => s.replace(/''/g, "'");

export type UserFilter = { mailOrUpn: string; proxyAddress: boolean };
export type FolderFilter = { displayName: string };
export type MessageFilter = { extendedPropertyId: string; value: string } | { internetMessageId: string };

/** `mail eq 'a' or userPrincipalName eq 'a'`, optionally `or proxyAddresses/any(p:p eq 'smtp:a')`. */
export function parseUserFilter(filter: string): UserFilter {
  const m = new RegExp(`^mail eq ${str} or userPrincipalName eq ${str}(?: or proxyAddresses/any\\((\\w+):\\s*\\3 eq ${str}\\))?$`, 'i').exec(filter.trim());
  const same = (a: string, b: string) => unquote(a).toLowerCase() === unquote(b).toLowerCase();
  if (!m || !same(m[1], m[2]) || (m[4] !== undefined && !same(`smtp:${m[1]}`, m[4])))
    throw badRequest(`Unsupported filter: ${filter}`, 'Request_UnsupportedQuery');
  return { mailOrUpn: unquote(m[1]), proxyAddress: m[4] !== undefined };
}

export function parseFolderFilter(filter: string): FolderFilter {
  const m = new RegExp(`^displayName eq ${str}$`).exec(filter.trim());
  if (!m) throw badRequest(`Unsupported filter: ${filter}`, 'ErrorInvalidUrlQueryFilter');
  return { displayName: unquote(m[1]) };
}

export function parseMessageFilter(filter: string): MessageFilter {
  const ext = new RegExp(`^singleValueExtendedProperties/any\\((\\w+):\\s*\\1/id eq ${str} and \\1/value eq ${str}\\)$`).exec(filter.trim());
  if (ext) return { extendedPropertyId: unquote(ext[2]), value: unquote(ext[3]) };
  const mid = new RegExp(`^internetMessageId eq ${str}$`).exec(filter.trim());
  if (mid) return { internetMessageId: unquote(mid[1]) };
  throw badRequest(`Unsupported filter: ${filter}`, 'ErrorInvalidUrlQueryFilter');
}

export function select<T extends Record<string, unknown>>(obj: T, selectParam: string | null): Partial<T> {
  if (!selectParam) return obj;
  const keep = new Set(
    selectParam
      .split(',')
      .map((s) => s.trim())
      .concat('id'),
  );
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keep.has(k) || k.startsWith('@odata'))) as Partial<T>;
}
