/**
 * The local stand-in for the Azure Functions host: it loads the app's compiled functions (the
 * files package.json "main" names), receives their registrations through `@azure/functions`, and
 * drives each trigger with the host's semantics against Azurite. No function is wired by hand
 * here: names, paths and schedules come from the registrations.
 */
import { buffer } from 'node:stream/consumers';
import { EventEmitter } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readStorageConnection } from '../../../shared/storage/connection';
import { type Env, type SettingProblem, SettingsError } from '../../../shared/config/problems';
import { createStorageClients, type StorageClients } from '../../../shared/storage/clients';
import { STORAGE_CONNECTION, devHost as devHostNames, poisonQueueOf } from '../../../shared/storage/names';
import { installFunctionsCore, runHooks, type RegisteredFunction } from './functions-core';
import { readHostConfig, type HostConfig } from './host-config';
import { Invoker, type LogSink, type InvocationEnd } from './invoker';
import { QueueListener } from './queue-listener';
import { TimerListener, resolveSettingTokens } from './timer-listener';
import { BlobReceipts, BlobTrigger, normalizeEtag, parseBlobPath, type BlobPath, type BlobWorkItem } from './blob-listener';
import { blobWrites } from './blob-writes';
import { asShare } from '../storage-accounting';
import { sleep } from './sleep';
import { HttpListener } from './http-listener';
import { describePoison } from '../poison-subject';

export interface PoisonEvent {
  functionName: string;
  queue: string;
  /** What the message is about: "connector X, item Y" (or the blob, or the start of its text). */
  subject: string;
  connectorId?: string;
  reason: string;
}

/** Set to "true" in the dev host's environment: every blob event is delivered twice at once (DevHostOptions.duplicateBlobEvents). */
export const DUPLICATE_BLOB_EVENTS = 'DEV_HOST_DUPLICATE_BLOB_EVENTS';

export interface DevHostOptions {
  /** Folder holding host.json and package.json (the app root). */
  appRoot: string;
  env?: Env;
  /** Only run these functions (default: all registered). */
  functions?: readonly string[];
  log: LogSink;
  /** Overrides host.json values (tests use short intervals). */
  hostConfig?: Partial<HostConfig['queues']>;
  /** The blob triggers' fallback scan (for blobs written by other processes); default 10 s. */
  blobScanIntervalMs?: number;
  /** Deliver every blob notification twice at once (the fault suite's duplicate deliveries); default: DUPLICATE_BLOB_EVENTS. */
  duplicateBlobEvents?: boolean;
  processingLeaseMs?: number;
  /** Serve HTTP-triggered functions on 127.0.0.1 at this port (0: any free port); not served when absent. */
  httpPort?: number;
}

/** Expands package.json "main" (a file, or a folder with a "*" file pattern) to the files the host loads. */
export function functionFiles(appRoot: string): string[] {
  const main = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { main?: string }).main;
  if (!main) throw new Error('package.json has no "main": the Functions host would find no functions');
  const dir = join(appRoot, dirname(main));
  const pattern = basename(main);
  if (!pattern.includes('*')) return [join(appRoot, main)];
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
  return readdirSync(dir)
    .filter((f) => regex.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Loads the app's function files and returns every function they registered. */
export function loadFunctions(files: readonly string[]): Map<string, RegisteredFunction> {
  const registry = installFunctionsCore();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host loads function files as the worker does
  for (const file of files) require(file);
  return registry.functions;
}

export class DevHost extends EventEmitter {
  readonly invoker: Invoker;
  private readonly env: Env;
  private readonly hostConfig: HostConfig;
  private readonly queueListeners: QueueListener[] = [];
  private readonly blobTriggers: BlobTrigger[] = [];
  /** Each blob trigger's account endpoint: a write notifies the triggers of its account. */
  private readonly blobEndpoints = new Map<BlobTrigger, string>();
  private unsubscribeWrites?: () => void;
  private readonly timers = new Map<string, TimerListener>();
  private readonly storageByConnection = new Map<string, StorageClients>();
  private readonly functions: RegisteredFunction[];
  private started = false;
  private http?: HttpListener;
  /** Where the HTTP functions answer (http://127.0.0.1:<port>), once started with an httpPort. */
  httpUrl?: string;

  constructor(
    registered: Map<string, RegisteredFunction>,
    private readonly options: DevHostOptions,
  ) {
    super();
    this.env = options.env ?? process.env;
    const config = readHostConfig(join(options.appRoot, 'host.json'), this.env);
    this.hostConfig = { ...config, queues: { ...config.queues, ...options.hostConfig } };
    this.functions = [...registered.values()].filter((f) => !options.functions || options.functions.includes(f.name));
    this.invoker = new Invoker(options.log);
    this.invoker.on('end', (e: InvocationEnd) => this.emit('invocation', e));
  }

  get functionNames(): string[] {
    return this.functions.map((f) => f.name);
  }

  /** Functions registered but not driven locally (Event Grid triggers). */
  readonly notDriven: string[] = [];

  triggerType(functionName: string): string | undefined {
    return this.functions.find((f) => f.name === functionName)?.trigger.type;
  }

  /** Queues consumed by registered functions (including the internal blob-trigger queue). */
  get consumedQueues(): string[] {
    return this.queueListeners.map((l) => l.queueName);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await runHooks('appStart', { hookData: {}, appHookData: {}, functionAppDirectory: this.options.appRoot });
    const httpFunctions: RegisteredFunction[] = [];
    for (const fn of this.functions) {
      const type = fn.trigger.type.toLowerCase();
      if (type === 'httptrigger') httpFunctions.push(fn);
      else if (type === 'queuetrigger') this.addQueueTrigger(fn);
      else if (type === 'timertrigger') this.addTimerTrigger(fn);
      else if (type === 'blobtrigger') this.addBlobTrigger(fn);
      // Event Grid pushes to a webhook the dev host does not have; locally, what its events bring
      // (ZIPs landing for sftp-zip connectors) is found by the scheduled sweep instead.
      else if (type === 'eventgridtrigger') this.notDriven.push(fn.name);
      else throw new Error(`function "${fn.name}": the dev host does not run ${fn.trigger.type} triggers`);
    }
    if (httpFunctions.length > 0 && this.options.httpPort !== undefined) {
      this.http = new HttpListener(httpFunctions, (fn, request) => this.invoker.invoke(fn, request, {}));
      this.httpUrl = await this.http.start(this.options.httpPort);
    }
    for (const l of this.queueListeners) l.start();
    // Receipts first: a notification must not be taken for new and then overwritten by an older receipt.
    // A write between the two is found by the trigger's first scan, which starts with it.
    await Promise.all(this.blobTriggers.map((t) => t.start()));
    if (this.blobTriggers.length > 0) {
      this.unsubscribeWrites = blobWrites((write) => {
        for (const t of this.blobTriggers) if (write.endpoint === this.blobEndpoints.get(t)) t.notify(write.container, write.blobName, write.etag);
      });
    }
    for (const t of this.timers.values()) t.start();
  }

  /** Runs a timer function now, as the host's admin endpoint (POST /admin/functions/<name>) does. */
  async runNow(functionName: string): Promise<void> {
    const fn = this.functions.find((f) => f.name === functionName);
    const timer = this.timers.get(functionName);
    if (!fn || !timer) throw new Error(`no timer function "${functionName}" is running`);
    await this.invoker.invoke(fn, timer.input(), {});
  }

  /**
   * Resolves when nothing is left to do: no invocation running, every consumed queue empty
   * (including invisible and delayed messages), and a blob scan since the last invocation found
   * nothing new. Checked twice in a row so a hand-off between stages is not mistaken for idle.
   */
  async waitForIdle(options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 2) {
      if (options.signal?.aborted) throw new Error('aborted');
      if (Date.now() > deadline) throw new Error(`still busy after ${options.timeoutMs} ms`);
      await sleep(options.pollMs ?? 250, options.signal);
      quietChecks = (await this.isIdle()) ? quietChecks + 1 : 0;
    }
  }

  async isIdle(): Promise<boolean> {
    const busy = () => this.invoker.active > 0 || this.queueListeners.some((l) => l.running > 0) || this.blobTriggers.some((t) => t.busy > 0);
    if (busy()) return false;
    const pending = await Promise.all(this.queueListeners.map((l) => l.pending()));
    if (pending.some((n) => n > 0)) return false;
    // Writes from other processes are only found by a scan: one since the last invocation must have found nothing.
    const lastEnd = this.invoker.lastInvocationEnd;
    const stale = this.blobTriggers.filter((t) => t.lastQuietScan === 0 || t.lastQuietScan <= lastEnd);
    if (stale.length > 0) {
      const found = await Promise.all(stale.map((t) => t.scanOnce()));
      if (found.some((n) => n > 0)) return false;
    }
    return !busy() && this.blobTriggers.every((t) => t.lastQuietScan > lastEnd);
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) t.stop();
    await this.http?.stop();
    this.unsubscribeWrites?.();
    await Promise.all([...this.blobTriggers.map((t) => t.stop()), ...this.queueListeners.map((l) => l.stop())]);
    await runHooks('appTerminate', { hookData: {}, appHookData: {} });
  }

  private storageFor(connection: unknown): StorageClients {
    const name = typeof connection === 'string' && connection !== '' ? connection : STORAGE_CONNECTION;
    let clients = this.storageByConnection.get(name);
    if (!clients) {
      const problems: SettingProblem[] = [];
      const conn = readStorageConnection(this.env, problems, name);
      if (!conn) throw new SettingsError(problems);
      clients = createStorageClients(conn);
      this.storageByConnection.set(name, clients);
    }
    return clients;
  }

  private addQueueTrigger(fn: RegisteredFunction): void {
    const queueName = resolveSettingTokens(String(fn.trigger.queueName), this.env);
    const storage = this.storageFor(fn.trigger.connection);
    this.queueListeners.push(
      new QueueListener({
        queue: storage.queue.getQueueClient(queueName),
        poisonQueue: storage.queue.getQueueClient(poisonQueueOf(queueName)),
        config: this.hostConfig.queues,
        processingLeaseMs: this.options.processingLeaseMs,
        handle: (body, meta) => this.invoker.invoke(fn, body, { ...meta }).then(() => undefined),
        onPoison: (meta, error) => {
          const about = describePoison(meta.queueTrigger);
          this.poisoned({ functionName: fn.name, queue: poisonQueueOf(queueName), subject: about.text, connectorId: about.connectorId, reason: error.message });
        },
        onError: (error) => this.options.log('warning', fn.name, `queue ${queueName}: ${error.message}`),
      }),
    );
  }

  private addTimerTrigger(fn: RegisteredFunction): void {
    const schedule = resolveSettingTokens(String(fn.trigger.schedule), this.env);
    const timer = new TimerListener(schedule, async (input) => {
      await this.invoker.invoke(fn, input, {}).catch(() => undefined);
    });
    this.timers.set(fn.name, timer);
    if (fn.trigger.runOnStartup === true) void this.invoker.invoke(fn, timer.input(), {}).catch(() => undefined);
  }

  private addBlobTrigger(fn: RegisteredFunction): void {
    const path = parseBlobPath(resolveSettingTokens(String(fn.trigger.path), this.env));
    const storage = this.storageFor(fn.trigger.connection);
    const receipts = new BlobReceipts(storage.table(devHostNames.blobReceipts));
    const container = storage.blob.getContainerClient(path.container);
    const queues = this.hostConfig.queues;
    const scanMs = this.options.blobScanIntervalMs ?? 10_000;
    const trigger = new BlobTrigger({
      functionName: fn.name,
      path,
      container,
      receipts,
      poisonQueue: storage.queue.getQueueClient(devHostNames.blobTriggerPoison),
      concurrency: queues.batchSize + queues.newBatchThreshold,
      maxAttempts: queues.maxDequeueCount,
      retryDelayMs: queues.visibilityTimeoutMs,
      scanIntervalMs: scanMs,
      maxScanIntervalMs: Math.max(scanMs, queues.maxPollingIntervalMs),
      duplicateEvents: this.options.duplicateBlobEvents ?? this.env[DUPLICATE_BLOB_EVENTS] === 'true',
      invoke: (item) => this.handleBlobWork(fn, path, item),
      onPoison: (item, error) => {
        const connectorId = item.blobName.split('/')[0];
        this.poisoned({
          functionName: item.functionName,
          queue: devHostNames.blobTriggerPoison,
          subject: `connector ${connectorId}, blob ${item.container}/${item.blobName}`,
          connectorId,
          reason: error.message,
        });
      },
      onError: (error) => this.options.log('warning', fn.name, `blob trigger on ${path.container}: ${error.message}`),
    });
    this.blobTriggers.push(trigger);
    this.blobEndpoints.set(trigger, storage.blob.url);
  }

  /** Reads the blob as the host does for the trigger (host work, not the app's), then invokes the function. */
  private async handleBlobWork(fn: RegisteredFunction, path: BlobPath, item: BlobWorkItem): Promise<void> {
    const blob = this.storageFor(fn.trigger.connection).blob.getContainerClient(item.container).getBlobClient(item.blobName);
    // One request: the download answers with the ETag and metadata as well as the content.
    const { properties, content } = await asShare('host', async () => {
      const properties = await blob.download();
      if (normalizeEtag(properties.etag) !== normalizeEtag(item.etag)) {
        // Changed since it was notified: the newer version has its own notification; this one is superseded.
        properties.readableStreamBody?.resume();
        return { properties, content: undefined };
      }
      return { properties, content: await buffer(properties.readableStreamBody!) };
    });
    if (!content) return;
    await this.invoker.invoke(fn, content, {
      ...path.match(item.blobName),
      blobTrigger: `${item.container}/${item.blobName}`,
      uri: blob.url,
      properties: { etag: properties.etag, length: properties.contentLength, contentType: properties.contentType, lastModified: properties.lastModified },
      metadata: properties.metadata ?? {},
    });
  }

  private poisoned(event: PoisonEvent): void {
    this.options.log('error', event.functionName, `message moved to ${event.queue}: ${event.subject}: ${event.reason}`);
    this.emit('poison', event);
  }
}
