/**
 * Blob trigger semantics for the dev host, as Azure delivers them with the Event Grid source: one
 * notification per created or replaced blob (Put Blob, Put Block List, Copy Blob), delivered at
 * least once, and the function invoked for it with bounded concurrency and retries, then the
 * `webjobs-blobtrigger-poison` queue.
 * https://learn.microsoft.com/en-us/azure/event-grid/event-schema-blob-storage
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-event-grid-blob-trigger
 *
 * The dev host sees the writes made in its own process (the app's functions, and tests) as they
 * answer; a slow fallback scan of the container finds blobs written by other processes, and blobs
 * written while the dev host was down. (Queueing every blob found by a container listing, with two
 * storage round trips each, paced the whole pipeline at 2.4-5 blobs/s, and the listing itself grew
 * with the container.)
 *
 * Receipts in a table remember which blob versions were handled, so a restarted dev host does
 * not fire again for blobs it already handled (and does fire for blobs written while it was down).
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-blob-trigger#blob-receipts
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { odata, type TableClient } from '@azure/data-tables';
import { encodeQueueMessage } from '../../../shared/storage/queue-messages';
import { sleep } from './sleep';
import pLimit, { type LimitFunction } from 'p-limit';
import { asShare } from '../storage-accounting';

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
  /** "queued" rows were written by earlier dev hosts, which queued each blob before handling it. */
  status: 'queued' | 'done' | 'poisoned';
  queuedAt: string;
}

export class BlobReceipts {
  constructor(private readonly table: TableClient) {}

  private static rowKey(container: string, blobName: string): string {
    return encodeURIComponent(`${container}/${blobName}`);
  }

  async set(item: BlobWorkItem, status: 'done' | 'poisoned'): Promise<void> {
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

  /** "<container>/<blob>" -> ETag of every blob version handled (or poisoned) for the function. */
  async handled(functionName: string): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    const rows = this.table.listEntities<Receipt>({ queryOptions: { filter: odata`PartitionKey eq ${functionName}` } });
    for await (const r of rows) if (r.status !== 'queued') map.set(decodeURIComponent(r.rowKey), r.etag_);
    return map;
  }
}

export interface BlobTriggerOptions {
  functionName: string;
  path: BlobPath;
  container: ContainerClient;
  receipts: BlobReceipts;
  poisonQueue: QueueClient;
  /** How many invocations run at once (the host's queue batchSize + newBatchThreshold). */
  concurrency: number;
  /** Attempts before the blob goes to the poison queue (host.json maxDequeueCount). */
  maxAttempts: number;
  retryDelayMs: number;
  /** The fallback scan's interval; quiet scans back off to maxScanIntervalMs. */
  scanIntervalMs: number;
  maxScanIntervalMs?: number;
  /** Deliver every notification twice at once, as an at-least-once source may (the fault suite's duplicate-deliveries). */
  duplicateEvents?: boolean;
  /** Reads the blob and invokes the function (a blob changed since the notification is left to its newer version's). */
  invoke(item: BlobWorkItem): Promise<void>;
  onPoison(item: BlobWorkItem, error: Error): void;
  onError?(error: Error): void;
}

/** One blob-triggered function: takes notifications and scan finds, invokes for each new blob version. */
export class BlobTrigger {
  private readonly abort = new AbortController();
  private readonly limit: LimitFunction;
  /** "<container>/<blob>" -> ETag already dispatched or handled. */
  private readonly seen = new Map<string, string>();
  /** Deliveries not finished yet: waiting for a slot, running, or waiting to retry. */
  private readonly deliveries = new Set<Promise<void>>();
  private loop?: Promise<void>;
  private scanning?: Promise<number>;
  private lastQuietScanStart = 0;

  constructor(private readonly options: BlobTriggerOptions) {
    this.limit = pLimit(options.concurrency);
  }

  /** Deliveries under way (queued for a slot, running, or waiting to retry). */
  get busy(): number {
    return this.deliveries.size;
  }

  /**
   * Start time of the latest completed scan that found nothing new (0 if none yet). It stays valid
   * while the next scan runs: every blob written before that scan started was listed by it.
   */
  get lastQuietScan(): number {
    return this.lastQuietScanStart;
  }

  /** Loads the receipts (so nothing handled fires again), then starts the fallback scan. */
  async start(): Promise<void> {
    for (const [key, etag] of await asShare('dev-host', () => this.options.receipts.handled(this.options.functionName))) this.seen.set(key, etag);
    this.loop ??= asShare('dev-host', () => this.run());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.deliveries]);
  }

  /** A blob was created or replaced (seen in a response to a write). Ignored unless the trigger's path matches. */
  notify(container: string, blobName: string, etag: string): void {
    if (container !== this.options.path.container || !this.options.path.match(blobName)) return;
    asShare('dev-host', () => this.offer(blobName, etag));
  }

  /** One pass over the container, at most one at a time; returns how many blob versions were new. */
  scanOnce(): Promise<number> {
    this.scanning ??= asShare('dev-host', () => this.scan()).finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<number> {
    const { container, path } = this.options;
    const startedAt = Date.now();
    let found = 0;
    for await (const blob of container.listBlobsFlat({ prefix: path.prefix })) {
      if (this.abort.signal.aborted) break;
      if (path.match(blob.name) && this.offer(blob.name, normalizeEtag(blob.properties.etag))) found++;
    }
    if (found === 0) this.lastQuietScanStart = startedAt;
    return found;
  }

  private offer(blobName: string, etag: string): boolean {
    const { path, functionName } = this.options;
    const key = `${path.container}/${blobName}`;
    if (this.seen.get(key) === etag || this.abort.signal.aborted) return false;
    this.seen.set(key, etag);
    const item: BlobWorkItem = { functionName, container: path.container, blobName, etag };
    for (let copy = 0; copy < (this.options.duplicateEvents ? 2 : 1); copy++) {
      const delivery = this.deliver(item).finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }
    return true;
  }

  private async deliver(item: BlobWorkItem): Promise<void> {
    const { maxAttempts, retryDelayMs, receipts, poisonQueue } = this.options;
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      try {
        await this.limit(() => this.options.invoke(item));
        await receipts.set(item, 'done').catch((err: Error) => this.options.onError?.(err));
        return;
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (attempt < maxAttempts) {
          await sleep(retryDelayMs, this.abort.signal);
          continue;
        }
        try {
          // The blob's name goes to the poison queue, as the host's blob trigger puts it there: it can be re-driven.
          await poisonQueue.sendMessage(encodeQueueMessage(item), { messageTimeToLive: -1 });
          await receipts.set(item, 'poisoned');
        } catch (settleErr) {
          // Without a receipt the blob is found again by the scan after a restart: not lost.
          this.options.onError?.(settleErr as Error);
        }
        this.options.onPoison(item, error);
        return;
      }
    }
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

/** The List Blobs and Get Blob answers quote ETags differently. */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}
