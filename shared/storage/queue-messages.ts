/**
 * Sending queue messages that a queue trigger can read. The Functions host decodes messages as
 * host.json `extensions.queues.messageEncoding` says; we keep the host default, base64, and a
 * test checks that host.json still says so.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-queue#host-json
 */
import type { QueueClient } from '@azure/storage-queue';

export const QUEUE_MESSAGE_ENCODING = 'base64' as const;

/** Largest message the Queue service accepts (64 KiB of encoded text). */
export const MAX_QUEUE_MESSAGE_BYTES = 64 * 1024;

export function encodeQueueMessage(body: unknown): string {
  const encoded = Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
  if (encoded.length > MAX_QUEUE_MESSAGE_BYTES) {
    throw new Error(`queue message of ${encoded.length} bytes exceeds the ${MAX_QUEUE_MESSAGE_BYTES}-byte limit`);
  }
  return encoded;
}

export function decodeQueueMessage(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
}

export async function sendJsonMessage(queue: QueueClient, body: unknown, options: { visibilityDelaySeconds?: number } = {}): Promise<string> {
  const response = await queue.sendMessage(encodeQueueMessage(body), {
    visibilityTimeout: options.visibilityDelaySeconds,
    // -1: never expires. The default of 7 days would silently drop a job during a long outage.
    messageTimeToLive: -1,
  });
  return response.messageId;
}
