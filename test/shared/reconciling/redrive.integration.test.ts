import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { convertFixture, runImport, startImportFixture, type ImportFixture } from '../../helpers/import-fixture';
import { drainQueue } from '../../helpers/queues';
import { importItem } from '../../../shared/importing/import-item';
import { MAX_DEQUEUE } from '../../../shared/runs/back-off';
import { redriveFailed, redrivePoisoned } from '../../../shared/reconciling/redrive';
import { parseImportJob, withoutInlineEml } from '../../../shared/jobs/import-job';
import { parseConvertJob } from '../../../shared/jobs/convert-job';
import { devHost, queues } from '../../../shared/storage/names';
import { encodeQueueMessage } from '../../../shared/storage/queue-messages';
import { DEDUP_PROPERTY_ID } from '../../../shared/importing/message-payload';

const OLIVIA = 'olivia.bennett@contoso.onmicrosoft.example';
const OMAR = 'omar.haddad@contoso.onmicrosoft.example';
const WEI = 'wei.chen@contoso.onmicrosoft.example';
const FOLDER = 'Enterprise Number Archiver';

function chat(suffix: string): FixtureItem & { raw: { id: string } } {
  const f = structuredClone(fixtureItems.find((x) => x.raw.type === 'chat' && x.product === 'enterprise-number')!) as FixtureItem & { raw: { id: string } };
  f.raw.id = `${f.raw.id}-redrive-${suffix}`;
  return f;
}

const copiesOf = (f: ImportFixture, upn: string, itemId: string) =>
  f.graph.messagesOf(upn, FOLDER).filter((m) => m.singleValueExtendedProperties.some((p) => p.id === DEDUP_PROPERTY_ID && p.value.endsWith(`:${itemId}`)));

describe('re-drive of failed and poisoned items (Azurite + Graph simulator)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture();
  });
  after(async () => {
    await f.stop();
  });

  it('a copy dead-lettered during a mailbox outage is imported by redrive --failed once the mailbox is back, exactly once, and only once', async () => {
    const item = chat('outage');
    const job = await convertFixture(f, item, 'run-outage');
    f.graph.setOptions({ failUsers: [OMAR] });
    try {
      // The retry horizon has passed: the failing copy is dead-lettered, the others land.
      const dayAgo = new Date(Date.now() - 25 * 3600_000).toISOString();
      const result = await importItem({ ...job, failingSince: dayAgo, retries: 12 }, f.services, { dequeueCount: MAX_DEQUEUE });
      assert.equal(result.status, 'partial');
    } finally {
      f.graph.setOptions({ failUsers: [] });
    }
    const [letter] = (await f.services.deadLetters.list('enterprise', 'import')).filter((l) => l.itemId === item.raw.id);
    assert.match(letter?.mailbox ?? '', /^omar\.haddad@/, 'the dead letter names the mailbox (the address being looked up)');
    assert.equal(copiesOf(f, OMAR, item.raw.id).length, 0);

    const other = await redriveFailed(f.services.storage, { connectorId: 'enterprise', runId: 'another-run' });
    assert.deepEqual(other.queued, {}, 'a run filter leaves other runs alone');
    const redriven = await redriveFailed(f.services.storage, { connectorId: 'enterprise', itemId: item.raw.id });
    assert.deepEqual(redriven.queued, { [queues.importJobs]: 1 });
    const [again] = await drainQueue(f.services.importQueue, parseImportJob);
    // The same job, except that the .eml is read from Blob: a dead letter keeps where it is, not the bytes.
    assert.deepEqual({ ...again, attempt: 0 }, { ...withoutInlineEml(job), attempt: 0 });
    assert.equal((await runImport(f, again)).status, 'imported');

    assert.equal(copiesOf(f, OMAR, item.raw.id).length, 1, 'the missing copy landed');
    assert.equal(copiesOf(f, OLIVIA, item.raw.id).length, 1, 'no second copy where it had landed');
    assert.equal(copiesOf(f, WEI, item.raw.id).length, 1);
    assert.equal((await f.services.deadLetters.list('enterprise', 'import')).filter((l) => l.itemId === item.raw.id).length, 0, 'no longer listed as failed');
    assert.deepEqual((await redriveFailed(f.services.storage, { connectorId: 'enterprise', itemId: item.raw.id })).queued, {}, 'nothing left to re-drive');
  });

  it('convert dead letters go back to the convert queue; fetch ones are listed as not re-drivable here', async () => {
    await f.services.deadLetters.record({
      connectorId: 'o2',
      stage: 'convert',
      key: 'bad-1',
      reason: 'bad-item: x',
      input: 'raw-items/o2/2026/11/20/bad-1.json',
      runId: 'r1',
    });
    await f.services.deadLetters.record({
      connectorId: 'o2',
      stage: 'fetch',
      key: 'page 3 line 7',
      reason: 'line-too-long: x',
      input: 'raw-quarantine/o2/x',
      runId: 'r1',
    });
    const result = await redriveFailed(f.services.storage, { connectorId: 'o2' });
    assert.deepEqual(result.queued, { [queues.convertJobs]: 1 });
    assert.deepEqual(
      result.left.map((l) => l.key),
      ['page 3 line 7'],
    );
    const convertQueue = f.services.storage.queue.getQueueClient(queues.convertJobs);
    assert.deepEqual(await drainQueue(convertQueue, parseConvertJob), [{ version: 1, connectorId: 'o2', rawPath: 'o2/2026/11/20/bad-1.json' }]);
    assert.equal((await f.services.deadLetters.list('o2', 'fetch')).length, 1, 'the fetch dead letter stays');
  });

  it("redrive --poisoned moves the connector's poisoned jobs back with their retries reset and leaves the others in the poison queue", async () => {
    const poison = f.services.storage.queue.getQueueClient(queues.importJobsPoison);
    const blobPoison = f.services.storage.queue.getQueueClient(devHost.blobTriggerPoison);
    await poison.createIfNotExists();
    await blobPoison.createIfNotExists();
    const mine = {
      version: 1,
      runId: 'r2',
      connectorId: 'whatsapp',
      itemId: 'wa-1',
      emlPath: 'whatsapp/2026/11/20/wa-1.eml',
      attempt: 3,
      retries: 4,
      failingSince: '2026-11-20T00:00:00.000Z',
    };
    const theirs = { ...mine, connectorId: 'o2', itemId: 'o2-1', emlPath: 'o2/2026/11/20/o2-1.eml' };
    await poison.sendMessage(encodeQueueMessage(mine));
    await poison.sendMessage(encodeQueueMessage(theirs));
    await poison.sendMessage('not one of ours');
    await blobPoison.sendMessage(
      encodeQueueMessage({ Type: 'BlobTrigger', ContainerName: 'raw-items', BlobName: 'whatsapp/2026/11/20/wa-2.json', ETag: '"x"' }),
    );

    const result = await redrivePoisoned(f.services.storage, { connectorId: 'whatsapp' });
    assert.deepEqual(result.queued, { [queues.importJobs]: 1, [queues.convertJobs]: 1 });
    const [back] = await drainQueue(f.services.importQueue, parseImportJob);
    const { retries: _retries, failingSince: _since, ...rest } = mine;
    assert.deepEqual(back, { ...rest, attempt: 0 });
    const convertQueue = f.services.storage.queue.getQueueClient(queues.convertJobs);
    assert.deepEqual(await drainQueue(convertQueue, parseConvertJob), [{ version: 1, connectorId: 'whatsapp', rawPath: 'whatsapp/2026/11/20/wa-2.json' }]);
    const left = (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
    assert.equal(left.length, 2, "the other connector's job and the unreadable message are visible again, not lost");
    assert.equal((await blobPoison.getProperties()).approximateMessagesCount, 0);
  });
});
