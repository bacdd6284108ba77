import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { RunStatusStore, type ItemRecord } from '../../../shared/runs/run-status';
import { tables } from '../../../shared/storage/names';

describe('run status: item rows spread over partitions per run', () => {
  let ts: TestStorage;
  let store: RunStatusStore;
  const runId = '20261122T010000Z-aaaaaa';
  const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
  const partitionsOf = async (filter: (pk: string) => boolean) => {
    const rows = new Map<string, string[]>();
    for await (const r of ts.storage.table(tables.runStatus).listEntities()) {
      const pk = r.partitionKey as string;
      if (filter(pk)) rows.set(pk, [...(rows.get(pk) ?? []), r.rowKey as string]);
    }
    return rows;
  };

  before(async () => {
    ts = await startTestStorage();
    store = new RunStatusStore(ts.storage.table(tables.runStatus));
    await store.startRun(runId, new Date('2026-11-22T01:00:00Z'), 'timer');
    await store.setConnectorState(runId, 'enterprise', 'fetched');
    await store.recordItems(
      runId,
      items.map((id): ItemRecord => ({ connectorId: 'enterprise', stage: 'fetch', key: id, outcome: 'written', details: { path: `enterprise/${id}.json` } })),
    );
    for (const id of items) await store.recordItem(runId, 'enterprise', 'convert', id, 'converted', { path: `enterprise/${id}.json` });
    for (const id of items) {
      await store.recordItems(runId, [
        { connectorId: 'enterprise', stage: 'import', key: `${id}@olivia@contoso.example`, outcome: 'imported' },
        { connectorId: 'enterprise', stage: 'import', key: `${id}@omar@contoso.example`, outcome: 'imported' },
      ]);
    }
  });
  after(() => ts.stop());

  it('spreads a run over several partitions, with every stage and copy of one item in the same one', async () => {
    const partitions = await partitionsOf((pk) => pk.startsWith(`${runId}~`));
    assert.ok(partitions.size > 4, `${partitions.size} partitions for 40 items`);
    const byItem = new Map<string, { partitions: Set<string>; rows: number }>();
    for (const [pk, rowKeys] of partitions) {
      for (const rk of rowKeys) {
        const key = decodeURIComponent(rk.split('__').slice(3).join('__'));
        const id = key.split('@')[0];
        const entry = byItem.get(id) ?? { partitions: new Set(), rows: 0 };
        byItem.set(id, entry);
        entry.partitions.add(pk);
        entry.rows++;
      }
    }
    assert.deepEqual([...byItem.keys()].sort(), [...items].sort());
    for (const [id, { partitions: held, rows }] of byItem) {
      assert.equal(held.size, 1, `${id} is in one partition`);
      assert.equal(rows, 4, `${id}: fetch, convert and two copies`);
    }
  });

  it('counts the run from every partition, rows written before the shards included', async () => {
    // A row as the layout before the shards kept it: under the run's own partition.
    await ts.storage
      .table(tables.runStatus)
      .upsertEntity(
        { partitionKey: runId, rowKey: 'item__enterprise__fetch__legacy-1', connectorId: 'enterprise', stage: 'fetch', outcome: 'written' },
        'Replace',
      );
    const summary = await store.summarize(runId);
    const enterprise = summary?.connectors.find((c) => c.connectorId === 'enterprise');
    assert.equal(enterprise?.fetched, 41);
    assert.equal(enterprise?.converted, 40);
    assert.equal(enterprise?.copies, 80);
    assert.equal(enterprise?.itemsImported, 40);
    assert.equal(await store.itemOutcome(runId, 'enterprise', 'fetch', 'legacy-1'), 'written');
    assert.equal(await store.itemOutcome(runId, 'enterprise', 'convert', 'item-7'), 'converted');
    let rows = 0;
    for await (const _ of store.itemRows(runId)) rows++;
    assert.equal(rows, 41 + 40 + 80);
  });

  it('names the run, not its partitions, among the runs active since a time', async () => {
    assert.deepEqual(await store.runsActiveSince(new Date(Date.now() - 60_000)), [runId]);
  });

  it('removes every partition of a run past retention', async () => {
    assert.deepEqual(await store.purgeRunsStartedBefore(new Date('2026-11-23T00:00:00Z')), [runId]);
    assert.equal((await partitionsOf((pk) => pk.startsWith(runId))).size, 0);
    assert.equal(await store.summarize(runId), undefined);
  });
});
