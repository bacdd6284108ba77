import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { SINGLE_PUT_BYTES, uploadBody } from '../../../shared/storage/upload-body';
import { StorageAccounting, asShare } from '../../../dev/stack/storage-accounting';

describe('uploadBody: as few billed requests as the size allows', () => {
  let ts: TestStorage;
  let accounting: StorageAccounting;
  before(async () => {
    ts = await startTestStorage();
    await ts.storage.blob.getContainerClient('upload-body').createIfNotExists();
    accounting = new StorageAccounting(ts.azurite.ports);
  });
  after(() => ts.stop());

  const upload = async (name: string, chunks: Buffer[]) => {
    const blob = ts.storage.blob.getContainerClient('upload-body').getBlockBlobClient(name);
    accounting.start();
    try {
      await asShare('app', () => uploadBody(blob, Readable.from(chunks), { conditions: { ifNoneMatch: '*' } }));
    } finally {
      accounting.stop();
    }
    return { kinds: Object.fromEntries(accounting.byKind('app')), content: await blob.downloadToBuffer() };
  };

  it('sends a small streamed message as one Put Blob', async () => {
    const chunks = [Buffer.from('From: a@b.example\r\n'), Buffer.from('\r\nhello\r\n')];
    const { kinds, content } = await upload('small.eml', chunks);
    assert.deepEqual(kinds, { 'blob Put Blob': 1 });
    assert.deepEqual(content, Buffer.concat(chunks));
  });

  it('stages a body longer than the single-request size in blocks, bytes intact', async () => {
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(SINGLE_PUT_BYTES / 4, i));
    const { kinds, content } = await upload('large.eml', chunks);
    assert.equal(kinds['blob Put Blob'], undefined);
    assert.ok(kinds['blob Put Block'] >= 3, JSON.stringify(kinds));
    assert.equal(kinds['blob Put Block List'], 1);
    assert.deepEqual(content, Buffer.concat(chunks));
  });

  it('keeps the condition: a second write of the same name is refused', async () => {
    await assert.rejects(upload('small.eml', [Buffer.from('again')]), (err: { statusCode?: number }) => err.statusCode === 409);
  });
});
