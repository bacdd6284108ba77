/**
 * Blob trigger semantics for the dev host, built the way the Functions host builds its polling
 * blob trigger: a scanner lists the bound container, and every blob (name and ETag) it has not
 * seen goes as a message onto an internal queue; a queue listener then invokes the function with
 * the blob's content, with the usual retries and the `webjobs-blobtrigger-poison` queue.
 *
 * Receipts in a table remember which blob versions were handled, so a restarted dev host does
 * not fire again for blobs it already handled (and does fire for blobs written while it was down).
 * In Azure the converter uses the Event Grid source instead; the app code is the same.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-blob-trigger#blob-receipts
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { odata, type TableClient } from '@azure/data-tables';
import { encodeQueueMessage } from '../../../shared/storage/queue-messages';
import { sleep } from './sleep';
import { findEntity } from '../../../shared/storage/tables';

export interface BlobPath {
  container: string;
  /** Literal prefix of the blob name before the first {token}. */
  prefix: string;
  match(blobName: string): Record<string, string> | undefined;
}

/** Parses a blob trigger path such as "raw-items/{name}" or "uploads/{connector}/{file}.csv". */
export function parseBlobPath(path: string): BlobPath {
  const slash = path.indexOf('/');
  if (slash <= 0) throw new Error(`blob trigger path "${path}" must be "<container>/<pattern>"`);
  const container = path.slice(0, slash);
  const pattern = path.slice(slash + 1);
  const names: string[] = [];
  const parts = pattern.split(/(\{[^}]+\})/).filter((p) => p !== '');
  const source = parts
    .map((part, i) => {
      const token = /^\{([^}]+)\}$/.exec(part);
      if (!token) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(token[1]);
      // As in the host, the last token may span "/"; an earlier one matches one path segment or more lazily.
      return i === parts.length - 1 ? '(.+)' : '(.+?)';
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  const brace = pattern.indexOf('{');
  return {
    container,
    prefix: brace < 0 ? pattern : pattern.slice(0, brace),
    match(blobName) {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
    },
  };
}

export interface BlobWorkItem {
  functionName: string;
  container: string;
  blobName: string;
  etag: string;
}

interface Receipt {
  partitionKey: string;
  rowKey: string;
  etag_: string;
  status: 'queued' | 'done' | 'poisoned';
  queuedAt: string;
}

const RESCAN_LOST_AFTER_MS = 10 * 60_000;

export class BlobReceipts {
  constructor(private readonly table: TableClient) {}

  private static rowKey(container: string, blobName: string): string {
    return encodeURIComponent(`${container}/${blobName}`);
  }

  async get(functionName: string, container: string, blobName: string): Promise<Receipt | undefined> {
    return findEntity<Receipt>(this.table, functionName, BlobReceipts.rowKey(container, blobName));
  }

  async set(item: BlobWorkItem, status: Receipt['status']): Promise<void> {
    await this.table.upsertEntity<Receipt>(
      {
        partitionKey: item.functionName,
        rowKey: BlobReceipts.rowKey(item.container, item.blobName),
        etag_: item.etag,
        status,
        queuedAt: new Date().toISOString(),
      },
      'Replace',
    );
  }

  async all(functionName: string): Promise<Map<string, Receipt>> {
    const map = new Map<string, Receipt>();
    const rows = this.table.listEntities<Receipt>({ queryOptions: { filter: odata`PartitionKey eq ${functionName}` } });
    for await (const r of rows) map.set(decodeURIComponent(r.rowKey), r);
    return map;
  }
}

export interface BlobScannerOptions {
  functionName: string;
  path: BlobPath;
  container: ContainerClient;
  workQueue: QueueClient;
  receipts: BlobReceipts;
  scanIntervalMs: number;
  /** Quiet scans back off to this interval (the host's maxPollingInterval), as queue polling does. */
  maxScanIntervalMs?: number;
  onError?(error: Error): void;
}

/** Finds new or changed blobs under the bound path and queues one work item per blob version. */
export class BlobScanner {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  /** "<container>/<blob>" -> ETag already queued or handled. */
  private seen?: Map<string, string>;
  private lastQuietScanStart = 0;

  constructor(private readonly options: BlobScannerOptions) {}

  /**
   * Start time of the latest completed scan that found nothing new (0 if none yet). It stays valid
   * while the next scan runs: every blob an invocation wrote before that scan started was listed by
   * it. (Reporting 0 during a scan kept a large container, scanned almost without pause, from ever
   * looking idle: `npm run bench` at 3,000 items never finished.)
   */
  get lastQuietScan(): number {
    return this.lastQuietScanStart;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** One pass over the container; returns how many blob versions were queued. */
  async scanOnce(): Promise<number> {
    const { container, path, receipts, functionName, workQueue } = this.options;
    const startedAt = Date.now();
    if (!this.seen) {
      this.seen = new Map();
      for (const [key, r] of await receipts.all(functionName)) {
        const lost = r.status === 'queued' && Date.now() - Date.parse(r.queuedAt) > RESCAN_LOST_AFTER_MS;
        if (!lost) this.seen.set(key, r.etag_);
      }
    }
    let queued = 0;
    for await (const blob of container.listBlobsFlat({ prefix: path.prefix })) {
      if (this.abort.signal.aborted) break;
      if (!path.match(blob.name)) continue;
      const key = `${path.container}/${blob.name}`;
      const etag = blob.properties.etag ?? '';
      if (this.seen.get(key) === etag) continue;
      const item: BlobWorkItem = { functionName, container: path.container, blobName: blob.name, etag };
      // Queue first, then write the receipt: a crash in between re-queues the blob after a
      // restart (the handler skips it if it was already done), where the other order could lose it.
      await workQueue.sendMessage(encodeQueueMessage(item), { messageTimeToLive: -1 });
      await receipts.set(item, 'queued');
      this.seen.set(key, etag);
      queued++;
    }
    if (queued === 0) this.lastQuietScanStart = startedAt;
    return queued;
  }

  private async run(): Promise<void> {
    // Listing a large container is costly: after a scan that found nothing, wait twice as long
    // (up to maxScanIntervalMs); a scan that found something resets the interval.
    let interval = this.options.scanIntervalMs;
    while (!this.abort.signal.aborted) {
      let found = 0;
      try {
        found = await this.scanOnce();
      } catch (err) {
        this.options.onError?.(err as Error);
      }
      interval = found > 0 ? this.options.scanIntervalMs : Math.min(interval * 2, this.options.maxScanIntervalMs ?? this.options.scanIntervalMs);
      await sleep(interval, this.abort.signal);
    }
  }
}
