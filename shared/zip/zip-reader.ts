/**
 * Reads a ZIP from outside (the vendor's SFTP delivery) without trusting it: the central directory
 * is read through random access (the ZIP is never held in memory), every entry is checked before a
 * byte is inflated (count, names, declared sizes, compression ratio), and each inflated stream is
 * held to its declared size and CRC-32 (yauzl checks sizes; it leaves the CRC to the caller).
 * https://github.com/thejoshwolfe/yauzl#readme
 */
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { NamedError } from '../text/named-outcome';

export type ZipProblem =
  'not-a-zip' | 'too-many-entries' | 'entry-too-large' | 'total-too-large' | 'compression-ratio' | 'unsafe-name' | 'duplicate-name' | 'encrypted' | 'integrity';

export class ZipRefusedError extends NamedError<ZipProblem> {}

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Uncompressed size over compressed size, per entry: a zip bomb's ratio runs to the thousands. */
  maxRatio: number;
}

export interface ZipEntryInfo {
  name: string;
  isDirectory: boolean;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
}

/** The bytes of a ZIP by range (a blob's ranged download, a buffer in tests). */
export interface RangeSource {
  size: number;
  read(start: number, end: number): Promise<NodeJS.ReadableStream>;
}

export interface ZipArchive {
  entries: ZipEntryInfo[];
  /** The inflated entry, checked against its declared size and CRC-32 as it streams (an error ends the stream). */
  open(entry: ZipEntryInfo): Promise<Readable>;
  close(): void;
}

class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: RangeSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.source.read(start, end).then(
      (s) => {
        s.on('error', (err: Error) => out.destroy(err));
        s.pipe(out);
      },
      (err: Error) => out.destroy(err),
    );
    return out;
  }
}

export async function openZip(source: RangeSource, limits: ZipLimits): Promise<ZipArchive> {
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: names are checked here with a reason, not thrown by the reader mid-listing.
    zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.size, { lazyEntries: true, autoClose: false, decodeStrings: false });
  } catch (err) {
    throw new ZipRefusedError('not-a-zip', `not a readable ZIP (${(err as Error).message})`);
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new ZipRefusedError('too-many-entries', `${zip.entryCount} entries, more than ZIP_MAX_ENTRIES (${limits.maxEntries})`);
  }
  const raw: yauzl.Entry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        raw.push(e);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw err instanceof ZipRefusedError ? err : new ZipRefusedError('not-a-zip', `its central directory cannot be read (${(err as Error).message})`);
  }

  const byName = new Map<string, yauzl.Entry>();
  const entries: ZipEntryInfo[] = [];
  let total = 0;
  try {
    for (const e of raw) {
      const nameBytes = e.fileName as unknown as Buffer;
      const name = nameBytes.toString((e.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
      const unsafe = yauzl.validateFileName(name) ?? (/[\u0000-\u001f]/.test(name) ? `control characters in fileName` : null);
      if (unsafe) throw new ZipRefusedError('unsafe-name', `entry ${JSON.stringify(name.slice(0, 200))}: ${unsafe.replace(/: .*$/, '')}`);
      if (byName.has(name)) throw new ZipRefusedError('duplicate-name', `entry ${JSON.stringify(name.slice(0, 200))} appears twice`);
      if (e.isEncrypted()) throw new ZipRefusedError('encrypted', `entry ${JSON.stringify(name)} is encrypted`);
      const info = { name, isDirectory: name.endsWith('/'), compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, crc32: e.crc32 };
      if (info.uncompressedSize > limits.maxEntryBytes) {
        throw new ZipRefusedError('entry-too-large', `entry ${JSON.stringify(name)} inflates to ${info.uncompressedSize} bytes, more than ZIP_MAX_ENTRY_MB`);
      }
      if (info.uncompressedSize > 0 && info.uncompressedSize / Math.max(1, info.compressedSize) > limits.maxRatio) {
        throw new ZipRefusedError(
          'compression-ratio',
          `entry ${JSON.stringify(name)} inflates ${Math.round(info.uncompressedSize / Math.max(1, info.compressedSize))} times, more than ZIP_MAX_RATIO (${limits.maxRatio})`,
        );
      }
      total += info.uncompressedSize;
      if (total > limits.maxTotalBytes) throw new ZipRefusedError('total-too-large', `the entries inflate to more than ZIP_MAX_TOTAL_MB`);
      byName.set(name, e);
      entries.push(info);
    }
  } catch (err) {
    zip.close();
    throw err;
  }

  return {
    entries,
    close: () => zip.close(),
    open: async (info) => {
      const entry = byName.get(info.name);
      if (!entry) throw new Error(`no entry ${info.name}`);
      const inflated = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
      const checked = new CrcCheck(info);
      inflated.on('error', (err) => checked.destroy(new ZipRefusedError('integrity', `entry ${JSON.stringify(info.name)}: ${err.message}`)));
      return inflated.pipe(checked);
    },
  };
}

/** Passes an entry's bytes through and fails at the end unless size and CRC-32 are the declared ones. */
class CrcCheck extends Transform {
  private crc = 0;
  private size = 0;

  constructor(private readonly info: ZipEntryInfo) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    if (this.size > this.info.uncompressedSize)
      return done(new ZipRefusedError('integrity', `entry ${JSON.stringify(this.info.name)} is longer than declared`));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== this.info.uncompressedSize)
      return done(new ZipRefusedError('integrity', `entry ${JSON.stringify(this.info.name)} is shorter than declared`));
    if (this.crc >>> 0 !== this.info.crc32 >>> 0)
      return done(new ZipRefusedError('integrity', `entry ${JSON.stringify(this.info.name)} fails its CRC-32 check`));
    done();
  }
}
