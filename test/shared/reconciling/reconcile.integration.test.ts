import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { runImport, startImportFixture, storeFixture, type ImportFixture } from '../../helpers/import-fixture';
import { drainQueue } from '../../helpers/queues';
import { convertRawItem } from '../../../shared/converting/convert-raw-item';
import { reconcile, type ReconcileResult } from '../../../shared/reconciling/reconcile';
import { parseConvertJob } from '../../../shared/jobs/convert-job';
import { parseImportJob } from '../../../shared/jobs/import-job';
import { queues } from '../../../shared/storage/names';
import { encodeQueueMessage } from '../../../shared/storage/queue-messages';

const HOUR = 3600_000;

describe('reconciliation sweep (Azurite + Graph simulator)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture({}, { RECONCILE_MIN_AGE_MINUTES: '30', RECONCILE_MAX_ATTEMPTS: '2' });
  });
  after(() => f.stop());

  /** Fresh copies of every fixture item, each with its own id. */
  function items(tag: string): FixtureItem[] {
    return fixtureItems.map((x, i) => {
      const copy = structuredClone(x);
      copy.raw.id = `${String(x.raw.id)}-${tag}-${i}`;
      return copy;
    });
  }

  const sweep = (now: Date): Promise<ReconcileResult> => reconcile({ ...f.services, now });

  /** What the reconvert and importer functions do with what the sweep queued. */
  async function drainPipeline(): Promise<void> {
    for (const job of await drainQueue(f.services.convertQueue, parseConvertJob)) await convertRawItem(job.rawPath, f.services);
    for (const job of await drainQueue(f.services.importQueue, parseImportJob)) await runImport(f, job);
  }

  it('finds raw items the blob trigger never converted and converted items never imported, finishes them, and the report counts them', async () => {
    const runId = 'run-reconcile-1';
    await f.services.runStatus.startRun(runId, new Date(), 'schedule');
    const all = items('r1');
    const paths = [];
    for (const item of all) paths.push(await storeFixture(f, item, runId));
    // The blob trigger works for the first half of the run, then is off (an Event Grid outage)...
    const half = Math.ceil(all.length / 2);
    for (const path of paths.slice(0, half)) await convertRawItem(path, f.services);
    // ...and one converted item's import job is lost on the way.
    const jobs = await drainQueue(f.services.importQueue, parseImportJob);
    assert.equal(jobs.length, half);
    for (const job of jobs.slice(1)) await runImport(f, job);

    // Too young to call stranded: the sweep leaves items that may still be on their way alone.
    const early = await sweep(new Date());
    assert.deepEqual(early.requeued, {});

    const later = new Date(Date.now() + HOUR);
    const found = await sweep(later);
    const requeued = Object.values(found.requeued).reduce((n, c) => ({ convert: n.convert + c.convert, import: n.import + c.import }), {
      convert: 0,
      import: 0,
    });
    assert.deepEqual(requeued, { convert: all.length - half, import: 1 });
    await drainPipeline();

    // Every item is converted and has an import outcome; the report says how many were stranded.
    const summary = await f.services.runStatus.summarize(runId);
    const total = (key: 'fetched' | 'converted' | 'reconciled' | 'failed') => summary!.connectors.reduce((n, c) => n + c[key], 0);
    assert.equal(total('fetched'), all.length);
    assert.equal(total('converted'), all.length);
    assert.equal(total('reconciled'), all.length - half + 1);
    assert.equal(total('failed'), 0);
    const imported = summary!.connectors.reduce((n, c) => n + c.copies + c.unmapped, 0);
    assert.ok(imported >= all.length, `every item imported or reported unmapped (${imported})`);

    // Nothing is stranded any more; once no blob event can still arrive, the run is settled and not read again.
    assert.deepEqual((await sweep(new Date(Date.now() + 2 * HOUR))).requeued, {});
    const settled = await sweep(new Date(Date.now() + 26 * HOUR));
    assert.deepEqual(settled.requeued, {});
    const runs = await f.services.runStatus.runIndex(new Date(0));
    assert.ok(runs.find((r) => r.runId === runId)?.settledAt, 'run settled');
    const after = await sweep(new Date(Date.now() + 27 * HOUR));
    assert.equal(after.runsSwept, runs.filter((r) => !r.settledAt).length);
  });

  it('gives up on an item queued RECONCILE_MAX_ATTEMPTS times and counts it as failed, with a reason', async () => {
    const runId = 'run-reconcile-2';
    await f.services.runStatus.startRun(runId, new Date(), 'schedule');
    const [item] = items('r2');
    await storeFixture(f, item, runId);
    for (let i = 1; i <= 3; i++) {
      const result = await sweep(new Date(Date.now() + i * HOUR));
      // The convert job is lost every time (e.g. poisoned).
      const lost = await drainQueue(f.services.convertQueue, parseConvertJob);
      assert.equal(lost.length, i <= 2 ? 1 : 0, `sweep ${i}`);
      assert.equal(result.gaveUp, i === 3 ? 1 : 0);
    }
    const summary = await f.services.runStatus.summarize(runId);
    assert.equal(summary!.connectors[0].failed, 1);
    assert.equal(summary!.connectors[0].reconciled, 0, 'the failed outcome replaces the re-queue');
    // A later sweep neither queues it again nor counts it twice.
    const again = await sweep(new Date(Date.now() + 5 * HOUR));
    assert.equal(again.gaveUp, 0);
    assert.equal((await drainQueue(f.services.convertQueue, parseConvertJob)).length, 0);
  });

  it('measures every poison queue', async () => {
    await f.services.storage.queue.getQueueClient(queues.importJobsPoison).sendMessage(encodeQueueMessage({ version: 1 }));
    const result = await sweep(new Date());
    assert.equal(result.poison[queues.importJobsPoison], 1);
    assert.equal(result.poison[queues.fetchJobsPoison], 0);
    assert.ok(queues.convertJobsPoison in result.poison);
  });
});
