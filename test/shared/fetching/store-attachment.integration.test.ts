import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { BLOCK_SIZE, storeAttachment } from '../../../shared/fetching/store-attachment';
import type { ArchiverClient } from '../../../shared/archiver/archiver-client';
import { StorageAccounting, asShare } from '../../../dev/stack/storage-accounting';

/** An archiver that serves one file, cutting the first download off after `cutAfter` bytes. */
function archiverOf(bytes: Buffer, cutAfter?: number): { archiver: ArchiverClient; downloads: number[] } {
  const downloads: number[] = [];
  const archiver = {
    async downloadAttachment(_id: string, offset = 0) {
      downloads.push(offset);
      const rest = bytes.subarray(offset);
      if (downloads.length === 1 && cutAfter !== undefined) {
        const stream = new Readable({ read() {} });
        stream.push(rest.subarray(0, cutAfter));
        setImmediate(() => stream.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
        return { stream };
      }
      return { stream: Readable.from([rest.subarray(0, rest.length >> 1), rest.subarray(rest.length >> 1)]), contentType: 'audio/mpeg' };
    },
  } as unknown as ArchiverClient;
  return { archiver, downloads };
}

describe('storeAttachment: billed requests and integrity', () => {
  let ts: TestStorage;
  let accounting: StorageAccounting;
  before(async () => {
    ts = await startTestStorage();
    await ts.storage.blob.getContainerClient('attachments').createIfNotExists();
    accounting = new StorageAccounting(ts.azurite.ports);
  });
  after(() => ts.stop());

  const store = async (name: string, bytes: Buffer, cutAfter?: number) => {
    const { archiver, downloads } = archiverOf(bytes, cutAfter);
    const blob = ts.storage.blob.getContainerClient('attachments').getBlockBlobClient(name);
    const ref = { id: name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), name, contentType: null };
    accounting.start();
    try {
      const outcome = await asShare('app', () => storeAttachment(archiver, ref as never, blob, { connector: 'o2' }));
      return { outcome, downloads, kinds: Object.fromEntries(accounting.byKind('app')), blob };
    } finally {
      accounting.stop();
    }
  };

  it('stores a one-block attachment with one Put Blob and no look-up first', async () => {
    const bytes = Buffer.alloc(BLOCK_SIZE, 7);
    const first = await store('photo.jpg', bytes);
    assert.equal(first.outcome, 'written');
    assert.deepEqual(first.kinds, { 'blob Put Blob': 1 });
    const stored = await first.blob.download();
    assert.equal(stored.metadata?.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(stored.contentType, 'audio/mpeg');
    // Stored again (a retried item): the conditional write answers "present", and nothing changes.
    const again = await store('photo.jpg', Buffer.alloc(BLOCK_SIZE, 7));
    assert.equal(again.outcome, 'present');
    assert.deepEqual(again.kinds, { 'blob Put Blob': 1 });
  });

  it('resumes a cut-off one-block download from the start and still sends one Put Blob', async () => {
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const r = await store('clip.mp4', bytes, 100_000);
    assert.equal(r.outcome, 'written');
    assert.deepEqual(r.downloads, [0, 0]);
    assert.deepEqual(r.kinds, { 'blob Put Blob': 1 });
    assert.deepEqual(await r.blob.downloadToBuffer(), bytes);
  });

  it('looks for a larger attachment first, so a retry does not download it again', async () => {
    const bytes = Buffer.alloc(BLOCK_SIZE + 1, 3);
    const first = await store('call.wav', bytes);
    assert.equal(first.outcome, 'written');
    assert.equal(first.kinds['blob Put Block'], 2);
    assert.equal(first.kinds['blob Put Block List'], 1);
    const again = await store('call.wav', bytes);
    assert.equal(again.outcome, 'present');
    assert.deepEqual(again.downloads, []);
  });
});
