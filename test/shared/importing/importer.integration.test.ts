import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fixtureItems, withAttachments, type FixtureItem } from '../../fixtures/items';
import { convertFixture, runImport, startImportFixture, type ImportFixture } from '../../helpers/import-fixture';
import { importItem } from '../../../shared/importing/import-item';
import { MAX_DEQUEUE } from '../../../shared/runs/back-off';
import { redriveUnmapped } from '../../../shared/reconciling/redrive';
import { parseMappingCsv } from '../../../shared/mapping/mapping-csv';
import { ImportLedger } from '../../../shared/importing/ledger';
import { MailboxApi } from '../../../shared/graph/mailbox-api';
import { createGraphClient } from '../../../shared/graph/graph-client';
import { tables } from '../../../shared/storage/names';
import type { ImportJob } from '../../../shared/jobs/import-job';
import { DEDUP_PROPERTY_ID } from '../../../shared/importing/message-payload';

const OLIVIA = 'olivia.bennett@contoso.onmicrosoft.example';
const OMAR = 'omar.haddad@contoso.onmicrosoft.example';
const WEI = 'wei.chen@contoso.onmicrosoft.example';
const PRIYA = 'priya.sharma@contoso.onmicrosoft.example';
const JACK = 'jack.oneill@contoso.onmicrosoft.example';
const FOLDER = 'Enterprise Number Archiver';

let n = 0;
/** A copy of a fixture item with a fresh id, so every test imports its own item. */
function item(
  type: string,
  change: (raw: Record<string, unknown>) => void = () => undefined,
  product = 'enterprise-number',
): FixtureItem & { raw: { id: string } } {
  const f = structuredClone(fixtureItems.find((x) => x.raw.type === type && x.product === product)!) as FixtureItem & { raw: { id: string } };
  f.raw.id = `${f.raw.id}-t${++n}`;
  change(f.raw);
  return f;
}

const copiesOf = (f: ImportFixture, upn: string, itemId: unknown, folder = FOLDER) =>
  f.graph.messagesOf(upn, folder).filter((m) => m.singleValueExtendedProperties.some((p) => p.id === DEDUP_PROPERTY_ID && p.value.endsWith(`:${itemId}`)));

describe('importer (Azurite + Graph simulator)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture({}, { CONNECTOR__ENTERPRISE__CUSTOM_MAPPING: 'true' });
  });
  after(() => f.stop());

  it("imports an item once into each mapped participant's mailbox, in the connector folder, as a received message with its own time", async () => {
    const chat = item('chat'); // Olivia, Omar and Wei, all with mailboxes
    const job = await convertFixture(f, chat);
    const result = await runImport(f, job);
    assert.deepEqual(result.copies.map((c) => c.upn).sort(), [OLIVIA, OMAR, WEI].sort());
    for (const upn of [OLIVIA, OMAR, WEI]) {
      const [m, ...more] = copiesOf(f, upn, chat.raw.id);
      assert.equal(more.length, 0, `one copy in ${upn}`);
      assert.equal(m.isDraft, false);
      assert.equal(m.receivedDateTime, '2026-11-20T09:14:03.000Z');
      assert.equal(m.subject, 'Chat message from Olivia Bennett (+447700900101) in Rates desk');
      assert.equal(m.internetMessageId, `<${chat.raw.id}.enterprise@mobile-archive.invalid>`);
    }
    // Delivered again (at-least-once queue): nothing new anywhere.
    const again = await runImport(f, job);
    assert.ok(again.copies.every((c) => c.outcome === 'duplicate'));
    for (const upn of [OLIVIA, OMAR, WEI]) assert.equal(copiesOf(f, upn, chat.raw.id).length, 1);
    const summary = await f.services.runStatus.summarize(job.runId);
    assert.ok((summary?.connectors[0].copies ?? 0) >= 3);
  });

  it('keeps the milliseconds of the item time in the mailbox copy (Date has whole seconds only)', async () => {
    const sms = item('sms', (raw) => {
      raw.timestamp = '2026-11-20T09:14:03.120Z';
    });
    const job = await convertFixture(f, sms);
    await runImport(f, job);
    const [m] = copiesOf(f, OLIVIA, sms.raw.id);
    assert.equal(m.receivedDateTime, '2026-11-20T09:14:03.120Z');
  });

  it('keeps an item that maps to nobody, with reasons, and imports it after the mapping is fixed and it is re-driven', async () => {
    const external = item('sms', (raw) => {
      raw.from = '+12025550150';
      raw.participants = [
        { number: '+12025550150', name: 'Harbor Capital', email: null },
        { number: '+447700900104', name: 'Sam Contractor', email: 'sam.contractor@contoso.example' },
      ];
    });
    const job = await convertFixture(f, external);
    const result = await runImport(f, job);
    assert.equal(result.status, 'unmapped');
    const [kept] = (await f.services.unmapped.list('enterprise')).filter((u) => u.job.itemId === external.raw.id);
    assert.deepEqual(kept.numbers, ['+12025550150', '+447700900104']);
    assert.match(kept.reasons.join('\n'), /\+12025550150: not in the custom mapping.*the archiver gives no email/);
    assert.match(kept.reasons.join('\n'), /\+447700900104: .*MailboxNotEnabledForRESTAPI/);

    // The compliance team maps the client's number to Jack; the re-drive imports the item.
    const csv = parseMappingCsv('12025550150, jack.oneill@contoso.example\n', 'US');
    assert.ok(csv.ok);
    await f.services.mapping.replace('enterprise', csv.ok ? csv.rows : [], 'test');
    const queued: ImportJob[] = [];
    const count = await redriveUnmapped('enterprise', f.services.unmapped, async (j) => void queued.push(j));
    assert.equal(count, queued.length);
    assert.deepEqual(
      queued.filter((j) => j.itemId === external.raw.id).map((j) => j.attempt),
      [0],
      'the item is queued once, afresh',
    );
    for (const j of queued.filter((x) => x.itemId === external.raw.id)) await runImport(f, j);
    assert.equal(copiesOf(f, JACK, external.raw.id).length, 1);
    assert.ok(!(await f.services.unmapped.list('enterprise')).some((u) => u.job.itemId === external.raw.id), 'no longer unmapped');
    assert.equal(
      await f.services.runStatus.itemOutcome(job.runId, 'enterprise', 'import', external.raw.id),
      'remapped',
      'the run no longer counts it as unmapped',
    );
    await f.services.mapping.replace('enterprise', [], 'test');
  });

  it("custom mapping comes before the archiver's email, and an item maps by its own time when a number changed hands", async () => {
    // Olivia's number (here one a carrier can assign: a mapping CSV takes only valid numbers) is
    // mapped to Priya until 2026-11-20T09:00 and to Jack from then on.
    const csv = parseMappingCsv(
      'number,mailbox,validFrom,validTo\n+61491570199,priya.sharma@contoso.example,2026-01-01,2026-11-20T09:00:00Z\n+61491570199,jack.oneill@contoso.example,2026-11-20T09:00:00Z,\n',
      'US',
    );
    assert.ok(csv.ok, JSON.stringify(csv));
    await f.services.mapping.replace('enterprise', csv.ok ? csv.rows : [], 'test');
    const renumbered = (raw: object, timestamp: string) =>
      Object.assign(raw, JSON.parse(JSON.stringify(raw).replaceAll('+447700900101', '+61491570199')) as object, { timestamp });
    const before = item('sms', (raw) => renumbered(raw, '2026-11-20T08:30:00.000Z'));
    const afterIt = item('sms', (raw) => renumbered(raw, '2026-11-20T09:30:00.000Z'));
    await runImport(f, await convertFixture(f, before));
    await runImport(f, await convertFixture(f, afterIt));
    assert.equal(copiesOf(f, PRIYA, before.raw.id).length, 1, "custom mapping wins over Olivia's own email");
    assert.equal(copiesOf(f, OLIVIA, before.raw.id).length, 0);
    assert.equal(copiesOf(f, JACK, afterIt.raw.id).length, 1, 'the later item follows the number to its new owner');
    assert.equal(copiesOf(f, PRIYA, afterIt.raw.id).length, 0);
    await f.services.mapping.replace('enterprise', [], 'test');
  });

  it('imports a 40 MB recording through an upload session, byte for byte, into a mailbox whose size limit was raised', async () => {
    const big = item('voice-call-recording', () => undefined);
    const content = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE((i ^ 0x9e3779b9) >>> 0, i);
    withAttachments(big, [{ id: 'rec-a1', name: 'long-call.wav', contentType: 'audio/wav', content }]);
    const sessionsBefore = f.graph.requests.byRoute[Object.keys(f.graph.requests.byRoute).find((k) => k.includes('createUploadSession')) ?? ''] ?? 0;
    f.graph.setOptions({ largeMailboxes: [OLIVIA] });
    try {
      await runImport(f, await convertFixture(f, big));
    } finally {
      f.graph.setOptions({ largeMailboxes: [] });
    }
    const [m] = copiesOf(f, OLIVIA, big.raw.id);
    assert.equal(m.attachments.length, 1);
    assert.equal(createHash('sha256').update(m.attachments[0].content).digest('hex'), createHash('sha256').update(content).digest('hex'));
    const sessionsAfter = Object.entries(f.graph.requests.byRoute).find(([k]) => k.includes('createUploadSession'))?.[1] ?? 0;
    assert.equal(sessionsAfter - sessionsBefore, 1, 'one upload session');
  });

  it('a crash between the Graph create and the ledger write gives no duplicate after the retry', async () => {
    const sms = item('sms');
    const job = await convertFixture(f, sms);
    const ledger = new ImportLedger(f.services.storage.table(tables.importLedger));
    let crashes = 0;
    const crashing = Object.create(ledger) as ImportLedger;
    crashing.update = async (...args: Parameters<ImportLedger['update']>) => {
      // The first ledger write after the create: "created" when attachments follow, else "complete".
      if (args[4].state !== 'claimed' && crashes++ === 0) throw new Error('process killed after the create');
      return ledger.update(...args);
    };
    await assert.rejects(importItem(job, { ...f.services, ledger: crashing }, { dequeueCount: 1 }), /process killed/);
    assert.equal(copiesOf(f, OLIVIA, sms.raw.id).length, 1, 'the message was created before the crash');
    await runImport(f, job);
    assert.equal(copiesOf(f, OLIVIA, sms.raw.id).length, 1, 'the retry found it by its de-duplication property');
  });

  it('one failing mailbox does not hold the others; after the host retries it backs off with growing delays, then dead-letters with its reason', async () => {
    const chat = item('chat');
    const job = await convertFixture(f, chat);
    f.graph.setOptions({ failUsers: [OMAR] });
    try {
      await assert.rejects(importItem(job, f.services, { dequeueCount: 1 }), /omar\.haddad/);
      assert.equal(copiesOf(f, OLIVIA, chat.raw.id).length, 1);
      assert.equal(copiesOf(f, WEI, chat.raw.id).length, 1);
      // The host's last delivery: the job puts itself back with a delay instead of giving up.
      const fifth = await importItem(job, f.services, { dequeueCount: MAX_DEQUEUE });
      assert.equal(fifth.status, 'requeued');
      assert.equal((await f.services.importQueue.getProperties()).approximateMessagesCount, 1, 'back on the queue');
      assert.equal((await f.services.importQueue.receiveMessages()).receivedMessageItems.length, 0, 'after a delay');
      await f.services.importQueue.clearMessages();
      // A day later (RETRY_HORIZON_MINUTES), still failing: dead-lettered.
      const dayAgo = new Date(Date.now() - 25 * 3600_000).toISOString();
      const last = await importItem({ ...job, failingSince: dayAgo, retries: 12 }, f.services, { dequeueCount: MAX_DEQUEUE });
      assert.equal(last.status, 'partial');
      const letters = await f.services.deadLetters.list('enterprise', 'import');
      const letter = letters.find((l) => l.key === `${chat.raw.id}@${OMAR}`);
      assert.match(letter?.reason ?? '', /HTTP 500.*failing since .*13 retries/);
      assert.equal(copiesOf(f, OLIVIA, chat.raw.id).length, 1, 'no duplicate in the mailboxes that worked');
    } finally {
      f.graph.setOptions({ failUsers: [] });
    }
  });

  it('with 30% of Graph requests answered 429/5xx, every item still lands exactly once per mailbox', async () => {
    const items = Array.from({ length: 8 }, () => item('chat'));
    const jobs = [];
    for (const it of items) jobs.push(await convertFixture(f, it));
    f.graph.setOptions({ rate429: 0.1, rate500: 0.08, rate503: 0.07, rate504: 0.05, retryAfterSeconds: 0 });
    try {
      await Promise.all(jobs.map((j) => runImport(f, j)));
    } finally {
      f.graph.setOptions({ rate429: 0, rate500: 0, rate503: 0, rate504: 0, retryAfterSeconds: 1 });
    }
    for (const it of items) for (const upn of [OLIVIA, OMAR, WEI]) assert.equal(copiesOf(f, upn, it.raw.id).length, 1, `${it.raw.id} in ${upn}`);
  });

  it('sends at most 4 concurrent requests to one mailbox', async () => {
    const items = Array.from({ length: 12 }, () => item('sms'));
    const jobs = [];
    for (const it of items) jobs.push(await convertFixture(f, it));
    f.graph.setOptions({ latencyMs: 25 });
    const throttledBefore = f.graph.throttleStats.concurrency;
    try {
      await Promise.all(jobs.map((j) => runImport(f, j)));
    } finally {
      f.graph.setOptions({ latencyMs: 0 });
    }
    assert.equal(f.graph.throttleStats.concurrency, throttledBefore, 'never over the mailbox concurrency limit');
    assert.ok(
      f.graph.throttleStats.maxConcurrentSeen >= 2 && f.graph.throttleStats.maxConcurrentSeen <= 4,
      `max concurrent ${f.graph.throttleStats.maxConcurrentSeen}`,
    );
    for (const it of items) assert.equal(copiesOf(f, OLIVIA, it.raw.id).length, 1);
  });

  /** Imports a new item while Graph answers every request 429 with the given Retry-After. */
  async function importWhileThrottled(retryAfterSeconds: number) {
    const job = await convertFixture(f, item('sms'));
    f.graph.setOptions({ rate429: 1, retryAfterSeconds });
    try {
      return await importItem(job, f.services, { dequeueCount: 1 });
    } finally {
      f.graph.setOptions({ rate429: 0, retryAfterSeconds: 1 });
    }
  }

  it('a Retry-After longer than the limit re-queues the job with that delay instead of sleeping', async () => {
    const result = await importWhileThrottled(120);
    assert.equal(result.status, 'requeued');
    const props = await f.services.importQueue.getProperties();
    assert.equal(props.approximateMessagesCount, 1, 'the job is back on the queue');
    assert.equal((await f.services.importQueue.receiveMessages()).receivedMessageItems.length, 0, 'but not visible before the delay');
    await f.services.importQueue.clearMessages();
  });

  it('a copy still throttled after the retries is re-queued, never dropped', async () => {
    // Regression: a 429 with Retry-After: 0 after the last retry gave a wait of 0 s, and the copy
    // was neither re-queued nor failed, so the item was reported imported without it.
    const result = await importWhileThrottled(0);
    assert.equal(result.status, 'requeued');
    assert.equal((await f.services.importQueue.getProperties()).approximateMessagesCount, 1);
    await f.services.importQueue.clearMessages();
  });

  it('two importers racing to create the same folder end with one folder', async () => {
    const graph = f.services.settings.graph;
    const api = () =>
      new MailboxApi(createGraphClient(graph, { maxRetryAfterSeconds: 5 }), createGraphClient(graph, { maxRetryAfterSeconds: 5 }, 'beta'), {
        maxRetryAfterSeconds: 5,
      });
    const user = f.graph.users.find((u) => u.userPrincipalName === PRIYA)!;
    f.graph.setOptions({ latencyMs: 20 });
    try {
      const ids = await Promise.all([
        api().ensureFolder(user.id, 'Race Archiver'),
        api().ensureFolder(user.id, 'Race Archiver'),
        api().ensureFolder(user.id, 'Race Archiver'),
      ]);
      assert.equal(new Set(ids).size, 1);
    } finally {
      f.graph.setOptions({ latencyMs: 0 });
    }
    const folders = [...f.graph.store.mailbox(user.id).folders.values()].filter((x) => x.displayName === 'Race Archiver');
    assert.equal(folders.length, 1);
  });
});

describe('importer in importMime mode', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture({}, { GRAPH_IMPORT_MODE: 'importMime' });
  });
  after(() => f.stop());

  it('imports the MIME as it is, not a draft, once', async () => {
    const mms = item('mms');
    const job = await convertFixture(f, mms);
    await runImport(f, job);
    await runImport(f, job);
    const copies = f.graph.messagesOf(OLIVIA, FOLDER).filter((m) => m.internetMessageId === `<${mms.raw.id}.enterprise@mobile-archive.invalid>`);
    assert.equal(copies.length, 1);
    assert.equal(copies[0].createdBy, 'importMime');
    assert.equal(copies[0].isDraft, false);
    assert.equal(copies[0].attachments.length, 1);
  });
});

describe('importer when Graph answers 503 after it stored the message', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture({ rate503AfterCommit: 1 });
  });
  after(() => f.stop());

  for (const mode of ['json', 'importMime'] as const) {
    it(`${mode}: the create is looked up, not repeated: one copy per mailbox`, async () => {
      f.services.settings.import.mode = mode;
      const chat = item('chat');
      const job = await convertFixture(f, chat);
      const result = await runImport(f, job);
      assert.equal(result.status, 'imported', JSON.stringify(result));
      for (const upn of [OLIVIA, OMAR, WEI]) {
        const copies = f.graph.messagesOf(upn, FOLDER).filter((m) => m.internetMessageId === `<${chat.raw.id}.enterprise@mobile-archive.invalid>`);
        assert.equal(copies.length, 1, `${upn} has ${copies.length} copies`);
      }
    });
  }
});
