/**
 * The blob creations this process makes, seen as their answers arrive. They are what an Event Grid
 * BlobCreated event reports in Azure: Put Blob and Put Block List (and a finished Copy Blob), not
 * the blocks staged before a commit nor metadata changes.
 * https://learn.microsoft.com/en-us/azure/event-grid/event-schema-blob-storage#list-of-events-for-blob-rest-apis
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

export interface BlobWrite {
  /** The account's blob endpoint, as a BlobServiceClient's url: http://127.0.0.1:10000/devstoreaccount1 */
  endpoint: string;
  container: string;
  blobName: string;
  /** Without quotes, as List Blobs gives it. */
  etag: string;
}

/** Calls `onWrite` for every blob created or replaced by this process until the returned function is called. */
export function blobWrites(onWrite: (write: BlobWrite) => void): () => void {
  const listener = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const write = blobWriteOf(request, response);
    if (write) onWrite(write);
  };
  subscribe('http.client.response.finish', listener);
  return () => unsubscribe('http.client.response.finish', listener);
}

function blobWriteOf(request: ClientRequest, response: IncomingMessage): BlobWrite | undefined {
  if (request.method !== 'PUT') return undefined;
  const copied = response.statusCode === 202 && response.headers['x-ms-copy-status'] === 'success';
  if (response.statusCode !== 201 && !copied) return undefined;
  const [pathname, search = ''] = request.path.split('?', 2);
  const query = new URLSearchParams(search);
  const comp = query.get('comp');
  if (query.has('restype') || (comp !== null && comp !== 'blocklist')) return undefined;
  const [account, container, ...blob] = pathname.split('/').slice(1);
  const etag = response.headers.etag;
  const host = request.getHeader('host');
  if (!account || !container || blob.length === 0 || typeof etag !== 'string' || typeof host !== 'string') return undefined;
  return {
    endpoint: `${request.protocol}//${host}/${account}`,
    container: decodeURIComponent(container),
    blobName: decodeURIComponent(blob.join('/')),
    etag: etag.replace(/^"|"$/g, ''),
  };
}
