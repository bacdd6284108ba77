/** An attachment's bytes, held or streamed, and read by range: how an upload session sends them (mailbox-api.ts). */

export interface AttachmentBytes {
  name: string;
  /** Byte count. */
  size: number;
  /** The bytes, when held in memory. */
  content?: Buffer;
  /** The bytes from `offset` on, streamed: how an attachment too large to hold is sent. */
  read: (offset?: number) => AsyncIterable<Buffer>;
}

/**
 * Reads an attachment range by range, in order: a range where the last one ended continues the
 * stream; any other (the server asks for one again) opens it again at that offset.
 */
export class RangeReader {
  private iterator?: AsyncIterator<Buffer>;
  private position = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly a: AttachmentBytes) {}

  async range(offset: number, length: number): Promise<Buffer> {
    if (this.a.content) return this.a.content.subarray(offset, offset + length);
    if (!this.iterator || offset !== this.position) {
      await this.iterator?.return?.();
      this.iterator = this.a.read(offset)[Symbol.asyncIterator]();
      this.position = offset;
      this.pending = Buffer.alloc(0);
    }
    const parts: Buffer[] = [this.pending];
    let have = this.pending.length;
    while (have < length) {
      const next = await this.iterator.next();
      if (next.done) break;
      parts.push(next.value);
      have += next.value.length;
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    if (all.length < length) throw new Error(`attachment ${this.a.name} ended after ${offset + all.length} of ${this.a.size} bytes`);
    this.pending = all.subarray(length);
    this.position = offset + length;
    // At the end, the stream is read to its end, so a source that checks what it sent (size, SHA-256) can say so now.
    if (this.position >= this.a.size && !(await this.iterator.next()).done)
      throw new Error(`attachment ${this.a.name} is longer than its ${this.a.size} bytes`);
    return all.subarray(0, length);
  }
}
