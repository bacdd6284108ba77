/**
 * Counts the storage requests a process sends to Azurite, by whose work they are and by kind, as
 * Azure would bill them: every Blob, Queue and Table REST request is one transaction, an entity
 * group transaction ($batch) included.
 * https://learn.microsoft.com/en-us/archive/blogs/windowsazurestorage/understanding-windows-azure-storage-billing-bandwidth-transactions-and-capacity
 *
 * Whose work a request is comes from the async context it was started in:
 * - "app": inside a function's handler (the dev host's Invoker runs every handler as app work);
 * - "dev-host": work only the dev host does (the blob trigger's receipts and fallback scan), which
 *   Azure does not do for us or does through Event Grid;
 * - "host": the rest, which the Functions host does in Azure too (queue polling, deleting handled
 *   messages, reading a triggering blob).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export type StorageShare = 'app' | 'host' | 'dev-host';

const shareOf = new AsyncLocalStorage<StorageShare>();

/** Runs `fn` (and everything it starts) as the given share of the storage work. */
export function asShare<T>(share: StorageShare, fn: () => T): T {
  return shareOf.run(share, fn);
}

type Service = 'blob' | 'queue' | 'table';

/** The REST operation a request is, named as the Storage REST reference names it. */
export function operationKind(service: Service, method: string, path: string): string {
  const [pathname, search = ''] = path.split('?', 2);
  const query = new URLSearchParams(search);
  const comp = query.get('comp');
  const segments = pathname.split('/').filter((s) => s !== '');
  if (service === 'blob') {
    if (comp === 'list') return 'blob List Blobs';
    if (comp === 'block') return 'blob Put Block';
    if (comp === 'blocklist') return method === 'PUT' ? 'blob Put Block List' : 'blob Get Block List';
    if (comp === 'metadata') return `blob ${method === 'PUT' ? 'Set' : 'Get'} Metadata`;
    if (query.get('restype') === 'container') return `blob container ${method}`;
    return { GET: 'blob Get Blob', HEAD: 'blob Get Blob Properties', PUT: 'blob Put Blob', DELETE: 'blob Delete Blob' }[method] ?? `blob ${method}`;
  }
  if (service === 'queue') {
    if (segments.at(-1) !== 'messages' && segments.at(-2) !== 'messages') return comp === 'metadata' ? 'queue Get Queue Metadata' : `queue ${method}`;
    if (method === 'GET') return query.get('peekonly') === 'true' ? 'queue Peek Messages' : 'queue Get Messages';
    return { POST: 'queue Put Message', DELETE: 'queue Delete Message', PUT: 'queue Update Message' }[method] ?? `queue ${method}`;
  }
  const last = decodeURIComponent(segments.at(-1) ?? '');
  if (last === '$batch') return 'table Entity Group Transaction';
  if (/^Tables\b/.test(last)) return `table ${method === 'GET' ? 'Query Tables' : 'Create Table'}`;
  if (/\(PartitionKey=/.test(last)) {
    return (
      { GET: 'table Get Entity', PUT: 'table Update/Upsert Entity', MERGE: 'table Merge Entity', PATCH: 'table Merge Entity', DELETE: 'table Delete Entity' }[
        method
      ] ?? `table ${method}`
    );
  }
  return method === 'POST' ? 'table Insert Entity' : 'table Query Entities';
}

interface ClientRequestLike {
  method: string;
  path: string;
  getHeader(name: string): unknown;
}

/** Counts every request this process sends to the given Azurite ports from `start()` until `stop()`. */
export class StorageAccounting {
  private readonly counts = new Map<StorageShare, Map<string, number>>();
  private readonly services: Map<string, Service>;
  private readonly listener = (message: unknown) => {
    const request = (message as { request: ClientRequestLike }).request;
    const host = request.getHeader('host');
    const service = this.services.get(typeof host === 'string' ? (host.split(':')[1] ?? '') : '');
    if (!service) return;
    const share = shareOf.getStore() ?? 'host';
    const kinds = this.counts.get(share) ?? new Map<string, number>();
    this.counts.set(share, kinds);
    const kind = operationKind(service, request.method, request.path);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  };

  constructor(ports: { blob: number; queue: number; table: number }) {
    this.services = new Map<string, Service>([
      [String(ports.blob), 'blob'],
      [String(ports.queue), 'queue'],
      [String(ports.table), 'table'],
    ]);
  }

  start(): void {
    this.counts.clear();
    subscribe('http.client.request.start', this.listener);
  }

  stop(): void {
    unsubscribe('http.client.request.start', this.listener);
  }

  total(share?: StorageShare): number {
    const shares = share ? [share] : [...this.counts.keys()];
    return shares.reduce((n, s) => n + [...(this.counts.get(s)?.values() ?? [])].reduce((a, b) => a + b, 0), 0);
  }

  /** The share's requests by kind, most frequent first. */
  byKind(share: StorageShare): [string, number][] {
    return [...(this.counts.get(share) ?? new Map<string, number>()).entries()].sort(([, a], [, b]) => b - a);
  }
}
