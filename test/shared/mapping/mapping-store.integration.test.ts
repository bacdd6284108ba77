import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MappingStore } from '../../../shared/mapping/mapping-store';
import { applyMappingUpload } from '../../../shared/mapping/apply-upload';
import { tables } from '../../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';

describe('mapping store (Azurite)', () => {
  let ts: TestStorage;
  let store: MappingStore;
  before(async () => {
    ts = await startTestStorage();
    store = new MappingStore(ts.storage.table(tables.mapping));
  });
  after(() => ts.stop());

  it('an accepted upload replaces the mapping; removed rows stop mapping; a rejected one keeps the previous', async () => {
    const at = new Date('2026-11-20T10:00:00Z');
    const deps = { mapping: store, defaultRegion: 'GB' as const };
    const first = await applyMappingUpload('o2', Buffer.from('447700900101,a@contoso.example\n447700900102,b@contoso.example\n'), 'first.csv', deps);
    assert.ok(first.accepted);
    assert.equal(await store.lookup('o2', '+447700900102', at), 'b@contoso.example');

    const second = await applyMappingUpload('o2', Buffer.from('447700900101,c@contoso.example\n'), 'second.csv', deps);
    assert.ok(second.accepted);
    // A fresh store: no cache, what another instance would read.
    const reader = new MappingStore(ts.storage.table(tables.mapping));
    assert.equal(await reader.lookup('o2', '+447700900101', at), 'c@contoso.example');
    assert.equal(await reader.lookup('o2', '+447700900102', at), undefined, 'a row removed from the file stops mapping');

    const bad = await applyMappingUpload('o2', Buffer.from('447700900101,d@contoso.example\nbroken,row\n'), 'bad.csv', deps);
    assert.ok(!bad.accepted);
    assert.equal(await new MappingStore(ts.storage.table(tables.mapping)).lookup('o2', '+447700900101', at), 'c@contoso.example', 'the previous mapping stays');
    assert.equal((await store.info('o2'))?.source, 'second.csv');
  });
});
