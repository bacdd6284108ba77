/**
 * Real, small media for simulated attachments: PNG images and WAV (PCM) audio that open in any
 * viewer or player, and CSV files. Large audio is generated as a stream of fixed-size chunks, so a
 * 150 MB recording never sits in memory.
 */
import { Readable } from 'node:stream';
import { crc32, deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export type MediaKind = 'png' | 'wav' | 'csv';

export interface MediaSpec {
  kind: MediaKind;
  size: number;
  seed: number;
}

/** A small PNG: a seeded colour gradient. */
export function png(seed: number): Buffer {
  const width = 48;
  const height = 32;
  const [r0, g0, b0] = [seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff];
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (r0 + x * 4) & 0xff;
      raw[row + 2 + x * 3] = (g0 + y * 6) & 0xff;
      raw[row + 3 + x * 3] = b0;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const SAMPLE_RATE = 8000;
const WAV_HEADER = 44;

/** Size of a mono 16-bit 8 kHz WAV of the given seconds. */
export function wavSizeForSeconds(seconds: number): number {
  return WAV_HEADER + seconds * SAMPLE_RATE * 2;
}

/** The length of a WAV of `size` bytes, to the millisecond. */
export function wavSeconds(size: number): number {
  return Math.round(((size - WAV_HEADER) / (SAMPLE_RATE * 2)) * 1000) / 1000;
}

function wavHeader(size: number): Buffer {
  const data = size - WAV_HEADER;
  const h = Buffer.alloc(WAV_HEADER);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(size - 8, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data, 40);
  return h;
}

/** One second of tone, the pattern every WAV repeats (its pitch depends on the seed). */
function toneSecond(seed: number): Buffer {
  const freq = 300 + (seed % 500);
  const b = Buffer.alloc(SAMPLE_RATE * 2);
  for (let i = 0; i < SAMPLE_RATE; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / SAMPLE_RATE) * 8000), i * 2);
  return b;
}

export function csv(seed: number, size: number): Buffer {
  const rows = ['trade_id,instrument,side,quantity,price'];
  let i = 0;
  while (rows.join('\n').length < size)
    rows.push(`T${seed % 10000}-${i++},GILT 4.25% 2032,${i % 2 ? 'BUY' : 'SELL'},${(i * 250000) % 5000000},${(98 + (i % 7) / 8).toFixed(3)}`);
  return Buffer.from(`${rows.join('\n')}\n`.slice(0, size), 'utf8');
}

/** The bytes of a media spec from `offset` on, as a stream (chunks of at most 64 KiB). */
export function mediaStream(spec: MediaSpec, offset = 0): Readable {
  if (spec.kind === 'png') return Readable.from([png(spec.seed).subarray(offset)]);
  if (spec.kind === 'csv') return Readable.from([csv(spec.seed, spec.size).subarray(offset)]);
  const header = wavHeader(spec.size);
  const second = toneSecond(spec.seed);
  let position = offset;
  return new Readable({
    read() {
      if (position >= spec.size) return void this.push(null);
      let chunkBuf: Buffer;
      if (position < WAV_HEADER) {
        chunkBuf = header.subarray(position);
      } else {
        const at = (position - WAV_HEADER) % second.length;
        chunkBuf = second.subarray(at, Math.min(second.length, at + 64 * 1024));
      }
      chunkBuf = chunkBuf.subarray(0, spec.size - position);
      position += chunkBuf.length;
      this.push(chunkBuf);
    },
  });
}

export function mediaSize(spec: Omit<MediaSpec, 'size'> & { size?: number }): number {
  if (spec.kind === 'png') return png(spec.seed).length;
  return spec.size ?? 0;
}

export async function mediaSha256(spec: MediaSpec): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of mediaStream(spec)) hash.update(c as Buffer);
  return hash.digest('hex');
}
