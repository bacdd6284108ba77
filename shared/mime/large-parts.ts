/**
 * Reading a large .eml without holding it: a 150 MB recording is a 200 MB base64 part, and parsing
 * the message whole costs a gigabyte. The message is streamed through a MIME splitter (mailsplit,
 * from the nodemailer project) twice:
 * - once to take out every part whose body is over HELD_PART_BYTES: each is decoded on the fly to
 *   measure it and hash it (SHA-256), and a short marker takes its place. What is left (headers,
 *   bodies, small attachments) is small and is read by the same parser as any other .eml;
 * - then once per large part, when its bytes are sent, decoding only that part, from any offset.
 * Parts are numbered as leaves of the MIME tree, in order; both passes count them the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter, type MimeNode, type SplitterObject } from 'mailsplit';

/** A part whose encoded body is larger than this is not held (a 3 MiB attachment, base64 with line breaks, stays under it). */
export const HELD_PART_BYTES = 5 * 1024 * 1024;

/** A part taken out of the message: where it was, what stands in its place, its decoded size and SHA-256. */
export interface TakenPart {
  /** 0-based position among the leaf parts of the message. */
  leaf: number;
  /** The text that stands in for the part's bytes in the reduced message. */
  marker: string;
  size: number;
  sha256: string;
}

export interface ReducedMessage {
  /** The message with each large part's body replaced by its marker. */
  reduced: Buffer;
  parts: TakenPart[];
}

/** Streams the message and returns it without its large parts, with each part's size and hash. */
export async function takeOutLargeParts(source: Readable, heldBytes = HELD_PART_BYTES): Promise<ReducedMessage> {
  const taker = new PartTaker(heldBytes);
  const chunks: Buffer[] = [];
  await pipeline(
    source,
    new Splitter(),
    taker,
    new Joiner(),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  return { reduced: Buffer.concat(chunks), parts: taker.parts };
}

interface OpenPart {
  node: MimeNode;
  leaf: number;
  held: Buffer[];
  heldBytes: number;
  decoding?: { decoder: Transform; hash: ReturnType<typeof createHash>; size: number; ended: Promise<unknown> };
}

class PartTaker extends Transform {
  readonly parts: TakenPart[] = [];
  /** Makes a marker no attachment can contain by chance. */
  private readonly nonce = `mobile-archive-part-${randomBytes(12).toString('hex')}`;
  private leaves = -1;
  private open?: OpenPart;

  constructor(private readonly heldBytes: number) {
    super({ objectMode: true });
  }

  override _transform(obj: SplitterObject, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.takeObject(obj).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.close().then(() => callback(), callback);
  }

  private async takeObject(obj: SplitterObject): Promise<void> {
    if (obj.type === 'body' && this.open) return this.body(this.open, obj.value);
    await this.close();
    if (obj.type === 'node' && !obj.multipart) this.open = { node: obj, leaf: ++this.leaves, held: [], heldBytes: 0 };
    this.push(obj);
  }

  private async body(part: OpenPart, chunk: Buffer): Promise<void> {
    if (!part.decoding) {
      part.held.push(chunk);
      part.heldBytes += chunk.length;
      if (part.heldBytes <= this.heldBytes) return;
      // Too large to hold: from here on the part is only decoded, measured and hashed.
      const decoder = part.node.getDecoder();
      const decoding = { decoder, hash: createHash('sha256'), size: 0, ended: once(decoder, 'end') };
      decoder.on('data', (bytes: Buffer) => {
        decoding.hash.update(bytes);
        decoding.size += bytes.length;
      });
      part.decoding = decoding;
      const held = part.held;
      part.held = [];
      for (const c of held) await write(decoder, c);
      return;
    }
    await write(part.decoding.decoder, chunk);
  }

  private async close(): Promise<void> {
    const part = this.open;
    this.open = undefined;
    if (!part) return;
    if (!part.decoding) {
      for (const value of part.held) this.push({ type: 'body', value });
      return;
    }
    part.decoding.decoder.end();
    await part.decoding.ended;
    const marker = `${this.nonce}-${part.leaf}`;
    this.parts.push({ leaf: part.leaf, marker, size: part.decoding.size, sha256: part.decoding.hash.digest('hex') });
    // The marker in the part's own transfer encoding, so the parser decodes it back to the marker.
    this.push({ type: 'body', value: Buffer.from(part.node.encoding === 'base64' ? Buffer.from(marker).toString('base64') : marker) });
  }
}

async function write(stream: Writable, chunk: Buffer): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/**
 * The decoded bytes of one leaf part, from `offset` on, read from a fresh stream of the message.
 * The reading stops at the end of the part; the rest of the message is not downloaded.
 */
export async function* readPart(open: () => Promise<Readable>, leaf: number, offset = 0): AsyncGenerator<Buffer> {
  const source = await open();
  const out = new PassThrough();
  let leaves = -1;
  let decoder: Transform | undefined;
  let done = false;
  const finish = () => {
    done = true;
    decoder?.end();
  };
  const taker = new Writable({
    objectMode: true,
    write(obj: SplitterObject, _encoding, callback) {
      if (done) return callback();
      if (obj.type === 'body' && decoder) {
        if (decoder.write(obj.value)) callback();
        else decoder.once('drain', () => callback());
        return;
      }
      if (decoder) finish();
      else if (obj.type === 'node' && !obj.multipart && ++leaves === leaf) {
        decoder = obj.getDecoder();
        decoder.on('error', (err) => out.destroy(err));
        decoder.pipe(out);
      }
      callback();
    },
    final(callback) {
      if (decoder) finish();
      else out.destroy(new Error(`the message has no MIME part ${leaf + 1}`));
      callback();
    },
  });
  const flow = pipeline(source, new Splitter(), taker).catch((err: unknown) => {
    if (!done) out.destroy(err as Error);
  });
  let skip = offset;
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  } finally {
    // The part has ended (or the reader stopped): the rest of the message is not needed.
    done = true;
    source.destroy();
    await flow;
  }
}
