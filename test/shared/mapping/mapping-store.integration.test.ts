import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MappingStore } from '../../../shared/mapping/mapping-store';
import { applyMappingUpload } from '../../../shared/mapping/apply-upload';
import { tables } from '../../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { odata } from '@azure/data-tables';
import type { MappingRow } from '../../../shared/mapping/mapping-csv';

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
    const first = await applyMappingUpload('o2', Buffer.from('61491570101,a@contoso.example\n61491570102,b@contoso.example\n'), 'first.csv', deps);
    assert.ok(first.accepted);
    assert.equal(await store.lookup('o2', '+61491570102', at), 'b@contoso.example');

    const second = await applyMappingUpload('o2', Buffer.from('61491570101,c@contoso.example\n'), 'second.csv', deps);
    assert.ok(second.accepted);
    // A fresh store: no cache, what another instance would read.
    const reader = new MappingStore(ts.storage.table(tables.mapping));
    assert.equal(await reader.lookup('o2', '+61491570101', at), 'c@contoso.example');
    assert.equal(await reader.lookup('o2', '+61491570102', at), undefined, 'a row removed from the file stops mapping');

    const bad = await applyMappingUpload('o2', Buffer.from('61491570101,d@contoso.example\nbroken,row\n'), 'bad.csv', deps);
    assert.ok(!bad.accepted);
    assert.equal(await new MappingStore(ts.storage.table(tables.mapping)).lookup('o2', '+61491570101', at), 'c@contoso.example', 'the previous mapping stays');
    assert.equal((await store.info('o2'))?.source, 'second.csv');
  });

  it('an upload that failed half-way, and each replaced version, leave no rows behind once the sweep has run', async () => {
    const table = ts.storage.table(tables.mapping);
    // Rows per version (a version's rows are spread over several partitions: <connector>__<version>__<shard>).
    const rowsOf = async (connector: string) => {
      const versions = new Map<string, number>();
      const filter = odata`PartitionKey gt ${`${connector}__`} and PartitionKey lt ${`${connector}__~`}`;
      for await (const r of table.listEntities({ queryOptions: { filter } })) {
        const version = r.partitionKey!.split('__')[1];
        versions.set(version, (versions.get(version) ?? 0) + 1);
      }
      return versions;
    };
    const many = (mailbox: string, n: number): MappingRow[] =>
      Array.from({ length: n }, (_, i) => ({ number: `+6149157${String(i).padStart(4, '0')}`, mailbox, line: i + 1 }));
    await store.replace('wa', many('a@contoso.example', 150), 'first.csv');
    // The second upload dies after its first 100-row transaction (as a killed process would).
    const real = table.submitTransaction.bind(table);
    let calls = 0;
    table.submitTransaction = async (actions) => {
      if (++calls === 2) throw new Error('killed');
      return real(actions);
    };
    const deleteVersion = (store as unknown as { deleteVersion: (c: string, v: string) => Promise<void> }).deleteVersion;
    (store as unknown as { deleteVersion: () => Promise<void> }).deleteVersion = () => Promise.reject(new Error('killed before cleaning up'));
    await assert.rejects(store.replace('wa', many('b@contoso.example', 250), 'killed.csv'), /killed/);
    table.submitTransaction = real;
    (store as unknown as { deleteVersion: typeof deleteVersion }).deleteVersion = deleteVersion;
    assert.equal((await rowsOf('wa')).size, 2, 'the killed upload left a partial version beside the current one');

    await store.replace('wa', many('c@contoso.example', 3), 'third.csv');
    assert.equal((await rowsOf('wa')).size, 3, 'replaced and orphaned versions wait for the sweep');
    await store.removeOrphans('wa', new Date(Date.now() + 1000));
    const left = await rowsOf('wa');
    assert.deepEqual([...left.values()], [3], 'only the current version has rows');
    assert.equal(await new MappingStore(table).lookup('wa', '+61491570001', new Date()), 'c@contoso.example');

    // Killed again, and no upload follows: the hourly sweep removes what no pointer names, once old enough.
    calls = 0;
    table.submitTransaction = async (actions) => {
      if (++calls === 2) throw new Error('killed');
      return real(actions);
    };
    (store as unknown as { deleteVersion: () => Promise<void> }).deleteVersion = () => Promise.reject(new Error('killed before cleaning up'));
    await assert.rejects(store.replace('wa', many('d@contoso.example', 400), 'killed-again.csv'), /killed/);
    table.submitTransaction = real;
    (store as unknown as { deleteVersion: typeof deleteVersion }).deleteVersion = deleteVersion;
    assert.equal((await rowsOf('wa')).size, 2);
    assert.equal(await store.removeOrphans('wa', new Date(Date.now() - 3_600_000)), 0, 'an upload younger than the cut-off may still be writing: kept');
    assert.ok((await store.removeOrphans('wa', new Date(Date.now() + 1000))) > 0);
    assert.deepEqual([...(await rowsOf('wa')).values()], [3], 'the orphan is gone, the current version untouched');
    assert.equal(await new MappingStore(table).lookup('wa', '+61491570002', new Date()), 'c@contoso.example');
  });

  it('an older upload finishing after a newer one does not become current', async () => {
    const table = ts.storage.table(tables.mapping);
    const newer = await store.replace('o2x', [{ number: '+61491570101', mailbox: 'new@contoso.example', line: 1 }], 'newer.csv');
    // It started a minute earlier (its version is named from that clock reading) and was slower.
    const slower = new MappingStore(table, () => new Date(Date.now() - 60_000));
    const older = await applyMappingUpload('o2x', Buffer.from('61491570101,old@contoso.example\n'), 'older.csv', { mapping: slower, defaultRegion: 'GB' });
    assert.ok(!older.accepted);
    assert.match(older.problems[0].problem, /superseded by version/);
    assert.equal((await store.info('o2x'))?.version, newer.version);
    assert.equal(await new MappingStore(table).lookup('o2x', '+61491570101', new Date()), 'new@contoso.example');
  });
});
