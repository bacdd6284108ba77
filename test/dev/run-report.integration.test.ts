import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunReport } from '../../dev/stack/run-report';
import { RunStatusStore } from '../../shared/runs/run-status';
import { DeadLetterStore } from '../../shared/runs/dead-letters';
import { devHost, queues, tables } from '../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../helpers/azurite';

describe('run report (Azurite)', () => {
  let ts: TestStorage;
  let runStatus: RunStatusStore;
  const session = () => ({ startedAt: new Date(Date.now() - 60_000), invocations: {}, poisoned: [] });
  const sources = () => ({
    deadLetters: new DeadLetterStore(ts.storage.table(tables.deadLetters)),
    queue: (name: string) => ts.storage.queue.getQueueClient(name),
  });
  before(async () => {
    ts = await startTestStorage();
    runStatus = new RunStatusStore(ts.storage.table(tables.runStatus));
  });
  after(() => ts.stop());

  it('a clean run is ok; a stray run that got no further than dispatched does not hide the run that did the work', async () => {
    await runStatus.startRun('run-a', new Date(), 'timer');
    await runStatus.setConnectorState('run-a', 'enterprise', 'fetched', {
      windowFrom: new Date('2026-11-20T00:00:00Z'),
      windowTo: new Date('2026-11-21T00:00:00Z'),
    });
    await runStatus.recordItem('run-a', 'enterprise', 'fetch', 'ent-1', 'written');
    await runStatus.recordItem('run-a', 'enterprise', 'convert', 'ent-1', 'converted');
    await runStatus.recordItem('run-a', 'enterprise', 'import', 'ent-1@olivia.bennett@contoso.example', 'imported');
    await runStatus.startRun('run-b', new Date(), 'timer');
    await runStatus.setConnectorState('run-b', 'enterprise', 'dispatched');
    const report = await buildRunReport(runStatus, session(), sources());
    assert.equal(report.connectors.enterprise.state, 'done', 'a fetched window whose every item has its outcome reads done');
    assert.equal(report.connectors.enterprise.windowFrom, '2026-11-20T00:00:00.000Z');
    assert.equal(report.connectors.enterprise.fetched, 1);
    assert.equal(report.ok, true, JSON.stringify(report));
  });

  it('messages left in the poison queues, from this session or an earlier one, fail the report and name connector and item', async () => {
    const json = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64');
    await ts.storage.queue.getQueueClient(queues.importJobsPoison).sendMessage(json({ connectorId: 'enterprise', itemId: 'ent-7', runId: 'run-a' }));
    await ts.storage.queue.getQueueClient(queues.importJobsPoison).sendMessage('not json at all');
    await ts.storage.queue
      .getQueueClient(devHost.blobTriggerPoison)
      .sendMessage(json({ functionName: 'converter', container: 'raw-items', blobName: 'o2/items/2026/11/20/o2-3.json', etag: '"x"' }));
    await ts.storage.queue.getQueueClient(queues.fetchJobsPoison).sendMessage(json({ connectorId: 'enterprise', runId: 'run-a', part: 2 }));
    const report = await buildRunReport(runStatus, session(), sources());
    assert.equal(report.ok, false);
    const byQueue = Object.fromEntries(report.poisonQueues.map((q) => [q.queue, q]));
    assert.equal(byQueue[queues.importJobsPoison].messages, 2);
    assert.deepEqual(byQueue[queues.importJobsPoison].examples, ['connector enterprise, item ent-7', 'unreadable message: "not json at all"']);
    assert.deepEqual(byQueue[devHost.blobTriggerPoison].examples, ['connector o2, blob o2/items/2026/11/20/o2-3.json']);
    assert.deepEqual(byQueue[queues.fetchJobsPoison].examples, ['connector enterprise, run run-a part 2']);
    assert.equal(report.connectors.enterprise.state, 'failed', 'a connector whose fetch job is poisoned is not shown as fetched');
    for (const q of [queues.importJobsPoison, queues.fetchJobsPoison, devHost.blobTriggerPoison]) await ts.storage.queue.getQueueClient(q).clearMessages();
  });

  it('every failure is listed with connector, stage, item and reason, and counted by its named outcome', async () => {
    await runStatus.startRun('run-c', new Date(), 'timer');
    await runStatus.setConnectorState('run-c', 'o2', 'fetched');
    await runStatus.recordItem('run-c', 'o2', 'fetch', 'o2-9', 'failed', { reason: 'attachment-gone: att-1 answered 404' });
    await new DeadLetterStore(ts.storage.table(tables.deadLetters)).record({
      connectorId: 'o2',
      stage: 'import',
      key: 'o2-4@olivia.bennett@contoso.example',
      reason: 'graph-failed: 500 after 14 retries',
      input: 'mime-messages/o2/x.eml',
      runId: 'run-c',
    });
    const report = await buildRunReport(runStatus, session(), sources());
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.failures.filter((f) => f.connectorId === 'o2').map((f) => [f.stage, f.key, f.reason]),
      [
        ['fetch', 'o2-9', 'attachment-gone: att-1 answered 404'],
        ['import', 'o2-4@olivia.bennett@contoso.example', 'graph-failed: 500 after 14 retries'],
      ],
    );
    assert.equal(report.outcomes['attachment-gone'], 1);
    assert.equal(report.outcomes['graph-failed'], 1);
  });

  it('counts per run: an earlier run re-driven now keeps its own counts, items and mailbox copies apart, importing until every item has an outcome', async () => {
    const table = ts.storage.table(tables.runStatus);
    const store = new RunStatusStore(table);
    // An earlier run (started two days ago) with one copy that failed then, re-driven in this session.
    await store.startRun('run-old', new Date(Date.now() - 2 * 86_400_000), 'timer');
    await store.setConnectorState('run-old', 'whatsapp', 'fetched');
    await store.recordItem('run-old', 'whatsapp', 'fetch', 'w-1', 'written');
    await store.recordItem('run-old', 'whatsapp', 'convert', 'w-1', 'converted');
    await store.recordItem('run-old', 'whatsapp', 'import', 'w-1@amelie.laurent@contoso.example', 'imported');
    await store.recordItem('run-old', 'whatsapp', 'import', 'w-1@olivia.bennett@contoso.example', 'imported');
    // This session's run: two items, one with two copies, one still on its way to the importer.
    await store.startRun('run-new', new Date(), 'timer');
    await store.setConnectorState('run-new', 'whatsapp', 'fetched');
    for (const id of ['w-2', 'w-3']) {
      await store.recordItem('run-new', 'whatsapp', 'fetch', id, 'written');
      await store.recordItem('run-new', 'whatsapp', 'convert', id, 'converted');
    }
    await store.recordItem('run-new', 'whatsapp', 'import', 'w-2@amelie.laurent@contoso.example', 'imported');
    await store.recordItem('run-new', 'whatsapp', 'import', 'w-2@wei.chen@contoso.example', 'imported');
    let report = await buildRunReport(store, session(), sources());
    const now = report.connectors.whatsapp;
    assert.deepEqual([now.fetched, now.itemsImported, now.copies, now.state], [2, 1, 2, 'importing'], 'the new window only: 2 items, 1 imported in 2 copies');
    const old = report.runs.find((r) => r.runId === 'run-old')!;
    assert.equal(old.earlier, true);
    assert.deepEqual([old.connectors.whatsapp.itemsImported, old.connectors.whatsapp.copies, old.connectors.whatsapp.state], [1, 2, 'done']);
    await store.recordItem('run-new', 'whatsapp', 'import', 'w-3', 'unmapped', { reason: '+447700900999: no mailbox' });
    report = await buildRunReport(store, session(), sources());
    assert.equal(report.connectors.whatsapp.state, 'done', 'every converted item has an outcome');
  });
});
