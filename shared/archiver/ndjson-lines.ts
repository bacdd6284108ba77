/**
 * NDJSON read line by line from a stream (https://github.com/ndjson/ndjson-spec): each line is
 * handed over as soon as its line break arrives, without the break (LF or CRLF), byte for byte.
 * A line longer than the limit is never held: its bytes are counted and hashed and it is handed
 * over as an OversizeLine, so the caller can report it by its SHA-256 and length.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

export class OversizeLine {
  constructor(
    readonly bytes: number,
    readonly sha256: string,
    /** The first bytes of the line, to recognise it by. */
    readonly head: Buffer,
  ) {}
}

export type PageLine = Buffer | OversizeLine;

const HEAD_BYTES = 4096;

export async function* ndjsonLines(stream: Readable, maxLineBytes: number): AsyncGenerator<PageLine> {
  let parts: Buffer[] = [];
  let length = 0;
  // Set once the current line passed the limit: from then on it is only counted and hashed.
  let oversize: { hash: Hash; bytes: number; head: Buffer } | undefined;

  const take = (piece: Buffer) => {
    if (oversize) {
      oversize.hash.update(piece);
      oversize.bytes += piece.length;
      return;
    }
    if (length + piece.length <= maxLineBytes) {
      parts.push(piece);
      length += piece.length;
      return;
    }
    const held = Buffer.concat([...parts, piece]);
    oversize = { hash: createHash('sha256').update(held), bytes: held.length, head: Buffer.from(held.subarray(0, HEAD_BYTES)) };
    parts = [];
    length = 0;
  };
  const finish = (): PageLine | undefined => {
    if (oversize) {
      const line = new OversizeLine(oversize.bytes, oversize.hash.digest('hex'), oversize.head);
      oversize = undefined;
      return line;
    }
    let line = Buffer.concat(parts, length);
    parts = [];
    length = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    return line.length > 0 ? line : undefined;
  };

  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      take(buf.subarray(start, nl));
      start = nl + 1;
      const line = finish();
      if (line) yield line;
    }
    if (start < buf.length) take(buf.subarray(start));
  }
  // The body ended (not cut off: that throws above): a last line without a break is whole.
  const last = finish();
  if (last) yield last;
}
