/**
 * Queue trigger semantics of the Functions host, for the dev host:
 * - polls with a back-off from 100 ms up to maxPollingInterval while the queue is empty;
 * - fetches batchSize messages at a time and fetches again when no more than newBatchThreshold
 *   are still running (so at most batchSize + newBatchThreshold run at once);
 * - keeps a message invisible while its handler runs (lease renewed), deletes it on success;
 * - on failure makes it visible again after visibilityTimeout, and once its dequeueCount reaches
 *   maxDequeueCount moves its original text to the poison queue.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages
 */
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { QueueHostConfig } from './host-config';
import { sleep } from './sleep';

export interface QueueMessageMeta {
  id: string;
  dequeueCount: number;
  insertionTime: Date;
  expirationTime: Date;
  nextVisibleTime: Date;
  popReceipt: string;
  /** The decoded message text. */
  queueTrigger: string;
}

export interface QueueListenerOptions {
  queue: QueueClient;
  poisonQueue: QueueClient;
  config: QueueHostConfig;
  /** How long a received message stays invisible before its lease is renewed (the host uses 10 minutes). */
  processingLeaseMs?: number;
  handle(body: unknown, meta: QueueMessageMeta): Promise<void>;
  onPoison?(meta: QueueMessageMeta, error: Error): void | Promise<void>;
  onError?(error: Error): void;
}

const MIN_POLL_MS = 100;

export class QueueListener {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private loop?: Promise<void>;

  constructor(private readonly options: QueueListenerOptions) {}

  get queueName(): string {
    return this.options.queue.name;
  }

  /** Messages in the queue, invisible and delayed ones included. */
  async pending(): Promise<number> {
    return (await this.options.queue.getProperties()).approximateMessagesCount ?? 0;
  }

  get running(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops polling and waits for running handlers to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const { config } = this.options;
    const leaseSeconds = Math.ceil((this.options.processingLeaseMs ?? 30_000) / 1000);
    let delay = MIN_POLL_MS;
    while (!this.abort.signal.aborted) {
      if (this.inFlight.size > config.newBatchThreshold) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const response = await this.options.queue.receiveMessages({ numberOfMessages: config.batchSize, visibilityTimeout: leaseSeconds });
        messages = response.receivedMessageItems;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.options.onError?.(err as Error);
        await sleep(config.maxPollingIntervalMs, this.abort.signal);
        continue;
      }
      if (messages.length === 0) {
        await sleep(delay, this.abort.signal);
        delay = Math.min(delay * 2, config.maxPollingIntervalMs);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        const p = this.process(message, leaseSeconds).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }
  }

  private async process(message: DequeuedMessageItem, leaseSeconds: number): Promise<void> {
    const { queue, poisonQueue, config } = this.options;
    let popReceipt = message.popReceipt;
    const renew = setInterval(
      () => {
        queue
          .updateMessage(message.messageId, popReceipt, undefined, leaseSeconds)
          .then((r) => (popReceipt = r.popReceipt ?? popReceipt))
          .catch((err: Error) => this.options.onError?.(err));
      },
      (leaseSeconds * 1000) / 2,
    );
    const meta: QueueMessageMeta = {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      insertionTime: message.insertedOn,
      expirationTime: message.expiresOn,
      nextVisibleTime: message.nextVisibleOn,
      popReceipt,
      queueTrigger: '',
    };
    try {
      try {
        meta.queueTrigger = decode(message.messageText, config.messageEncoding);
        await this.options.handle(parseBody(meta.queueTrigger), meta);
      } finally {
        clearInterval(renew);
      }
      await queue.deleteMessage(message.messageId, popReceipt);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      try {
        if (message.dequeueCount >= config.maxDequeueCount) {
          // The original text, still encoded as the app sent it: nothing a user sent is lost.
          await poisonQueue.sendMessage(message.messageText, { messageTimeToLive: -1 });
          await queue.deleteMessage(message.messageId, popReceipt);
          await this.options.onPoison?.(meta, error);
        } else {
          await queue.updateMessage(message.messageId, popReceipt, undefined, Math.ceil(config.visibilityTimeoutMs / 1000));
        }
      } catch (settleErr) {
        // The lease runs out and the message comes back: the same outcome as a crashed host.
        this.options.onError?.(settleErr as Error);
      }
    }
  }
}

function decode(text: string, encoding: QueueHostConfig['messageEncoding']): string {
  if (encoding === 'none') return text;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new Error('message is not valid base64, but host.json extensions.queues.messageEncoding is base64');
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

/** Like the Node.js worker: a JSON message arrives as the parsed value, anything else as a string. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
