import type { QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage } from '../../shared/storage/queue-messages';

/** Takes every message off a queue (deleting them), decoded and parsed. Bounded by the queue's content. */
export async function drainQueue<T>(queue: QueueClient, parse: (body: unknown) => T): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return out;
    for (const m of receivedMessageItems) {
      out.push(parse(decodeQueueMessage(m.messageText)));
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}
