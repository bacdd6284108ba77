/**
 * Writes a block blob from a buffer or a stream with as few requests as the size allows: a body
 * that ends within SINGLE_PUT_BYTES goes as one Put Blob; a longer one is staged in blocks and
 * committed (Put Block + Put Block List), without ever holding more than a block or two in memory.
 * (uploadStream stages even a 2 KB message as a block and commits it: two billed requests, not one.)
 */
import { Readable } from 'node:stream';
import type { BlockBlobClient, BlockBlobParallelUploadOptions, BlockBlobUploadOptions } from '@azure/storage-blob';

/** Up to this size a streamed body is read whole and sent in one request. */
export const SINGLE_PUT_BYTES = 4 * 1024 * 1024;
const BLOCK_BYTES = 4 * 1024 * 1024;

/** Returns the whole body when it went in one request (it was held anyway), undefined when it was staged in blocks. */
export async function uploadBody(
  blob: BlockBlobClient,
  body: Buffer | NodeJS.ReadableStream,
  options: BlockBlobUploadOptions & BlockBlobParallelUploadOptions,
): Promise<Buffer | undefined> {
  if (Buffer.isBuffer(body)) {
    await blob.upload(body, body.length, options);
    return body.length <= SINGLE_PUT_BYTES ? body : undefined;
  }
  const iterator = (body as Readable)[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let size = 0;
  while (size <= SINGLE_PUT_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      const whole = Buffer.concat(head);
      await blob.upload(whole, whole.length, options);
      return whole;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  await blob.uploadStream(Readable.from(rest()), BLOCK_BYTES, 2, options);
  return undefined;
}
