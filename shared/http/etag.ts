/**
 * The ETag a storage answer carried. The writes that follow it are conditional on it (If-Match);
 * an empty one would make them unconditional, and a retried or duplicated delivery could then
 * overwrite another's claim. Azure Storage always answers with one, so its absence is a failure.
 */
export function etagOf(etag: string | undefined, what: string): string {
  if (!etag) throw new Error(`${what}: storage answered without an ETag, so the writes that depend on it could not be made conditional`);
  return etag;
}
