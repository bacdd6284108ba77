/**
 * Writes a rendered message as a byte stream: the skeleton as it is, each attachment streamed
 * from its source through a base64 encoder (76-character lines). Memory stays flat for any size.
 */
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { Base64LineEncoder } from './encoding';
import type { Segment } from './render';

export type AttachmentSource = (index: number) => Promise<NodeJS.ReadableStream>;

export function serializeMessage(segments: Segment[], openAttachment: AttachmentSource): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const segment of segments) {
      if ('text' in segment) {
        if (!/^[\x00-\x7f]*$/.test(segment.text)) throw new Error('message skeleton is not 7-bit ASCII');
        yield Buffer.from(segment.text, 'ascii');
        continue;
      }
      const source = await openAttachment(segment.attachment);
      const encoder = new Base64LineEncoder();
      (source as Readable).on('error', (err) => encoder.destroy(err));
      for await (const chunk of (source as Readable).pipe(encoder)) yield Buffer.from(chunk as string, 'ascii');
    }
  }
  return Readable.from(bytes());
}

/** The whole message in memory, for tests and small messages. */
export async function messageToBuffer(segments: Segment[], openAttachment: AttachmentSource): Promise<Buffer> {
  return buffer(serializeMessage(segments, openAttachment));
}
