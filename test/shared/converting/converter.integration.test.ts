import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { loadSettings } from '../../../shared/app/settings';
import { createServices, type Services } from '../../../shared/app/services';
import { convertRawItem, WRITER_GRACE_MS } from '../../../shared/converting/convert-raw-item';
import { emlPathOf, rawAttachmentPath, rawItemPath } from '../../../shared/items/paths';
import { containers } from '../../../shared/storage/names';
import { parseImportJob } from '../../../shared/jobs/import-job';
import { mediaStream } from '../../../dev/stack/archiver-sim/media';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { validEnv } from '../../helpers/env';
import { assertStandardMessage } from '../../helpers/mime';
import { drainQueue } from '../../helpers/queues';

const goldenDir = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'golden');
const RUN = 'conv-test-run';

describe('converter (Azurite)', () => {
  let ts: TestStorage;
  let services: Services;

  before(async () => {
    ts = await startTestStorage();
    services = createServices(loadSettings(validEnv(ts.connectionString)), ts.storage);
  });
  after(() => ts.stop());

  const blob = (container: string, path: string) => services.storage.blob.getContainerClient(container).getBlockBlobClient(path);

  async function store(f: FixtureItem, options: { skipAttachments?: boolean } = {}): Promise<string> {
    const raw = f.raw as { id: string; timestamp: string };
    if (!options.skipAttachments) {
      for (const a of f.attachments)
        await blob(containers.rawAttachments, rawAttachmentPath(f.connectorId, raw.id, new Date(raw.timestamp), a.id)).upload(a.content, a.content.length);
    }
    const line = Buffer.from(JSON.stringify(f.raw));
    const path = rawItemPath(f.connectorId, raw.id, new Date(raw.timestamp));
    await blob(containers.rawItems, path).upload(line, line.length, { metadata: { runid: RUN } });
    return path;
  }

  const importJobs = () => drainQueue(services.importQueue, parseImportJob);

  it("writes each item's golden message once and queues one import job per item", async () => {
    const paths = [];
    for (const f of fixtureItems) paths.push(await store(f));
    for (const p of paths) assert.equal((await convertRawItem(p, services)).status, 'converted');
    for (const [i, f] of fixtureItems.entries()) {
      const eml = await blob(containers.mime, emlPathOf(paths[i])).downloadToBuffer();
      assert.ok(eml.equals(readFileSync(join(goldenDir, `${f.product}--${f.raw.type}.eml`))), `${f.raw.type}: stored message is the golden one`);
    }
    const jobs = await importJobs();
    assert.deepEqual(jobs.map((j) => j.emlPath).sort(), paths.map(emlPathOf).sort());
    assert.ok(jobs.every((j) => j.runId === RUN));
    const summary = await services.runStatus.summarize(RUN);
    assert.equal(
      summary?.connectors.reduce((n, c) => n + c.converted, 0),
      fixtureItems.length,
    );

    // A repeated trigger (at-least-once delivery): nothing written or queued again.
    const before = await blob(containers.mime, emlPathOf(paths[0])).downloadToBuffer();
    for (const p of paths) assert.equal((await convertRawItem(p, services)).status, 'already-converted');
    assert.deepEqual(await importJobs(), []);
    assert.ok((await blob(containers.mime, emlPathOf(paths[0])).downloadToBuffer()).equals(before));
  });

  it('queues the import again when the converter died between writing the .eml and queueing', async () => {
    const f = structuredClone(fixtureItems[0]);
    f.raw.id = 'crash-between-eml-and-queue';
    const path = await store(f);
    // The .eml is there but never recorded that its import was queued.
    await blob(containers.mime, emlPathOf(path)).upload('partial', 7, { metadata: { runid: RUN } });
    // At once, the writer may still be at work: only a delivery after the grace takes its place, and
    // this one asks for that delivery (a convert job delayed past the grace), or the item would read
    // "converting" until the hourly sweep when the writer died after queueing the import.
    assert.equal((await convertRawItem(path, services)).status, 'already-converted');
    assert.deepEqual(await importJobs(), []);
    const convertQueue = services.convertQueue;
    assert.equal((await convertQueue.peekMessages()).peekedMessageItems.length, 0, 'delayed, not visible yet');
    assert.equal((await convertQueue.getProperties()).approximateMessagesCount, 1, 'a convert job comes back after the grace');
    await convertQueue.clearMessages();
    const later = () => new Date(Date.now() + WRITER_GRACE_MS + 1000);
    assert.equal((await convertRawItem(path, { ...services, now: later })).status, 'already-converted');
    assert.deepEqual(
      (await importJobs()).map((j) => j.itemId),
      ['crash-between-eml-and-queue'],
    );
  });

  it('two simultaneous deliveries of the same blob event send one import job, from the execution that wrote the .eml', async () => {
    const f = structuredClone(fixtureItems[0]);
    f.raw.id = 'delivered-twice-at-once';
    const path = await store(f);
    const results = await Promise.all([convertRawItem(path, services), convertRawItem(path, services), convertRawItem(path, services)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['already-converted', 'already-converted', 'converted']);
    assert.deepEqual(
      (await importJobs()).map((j) => j.itemId),
      ['delivered-twice-at-once'],
    );
  });

  it('dead-letters each bad raw item with its reason and converts the good one beside them', async () => {
    const good = structuredClone(fixtureItems[0]);
    good.raw.id = 'good-among-bad';
    const bad: [string, (f: FixtureItem) => void, RegExp][] = [
      ['missing-from', (f) => delete f.raw.from, /from .*(Required|expected string)/i],
      ['unknown-type', (f) => (f.raw.type = 'fax'), /unknown item type "fax"/],
      ['impossible-time', (f) => (f.raw.timestamp = '1970-01-01T00:00:00.000Z'), /timestamp 1970-01-01T00:00:00.000Z is impossible/],
      ['bad-participants', (f) => (f.raw.participants = []), /participants/],
    ];
    const paths: Record<string, string> = {};
    for (const [id, mutate] of bad) {
      const f = structuredClone(fixtureItems[0]);
      f.raw.id = id;
      mutate(f);
      paths[id] = await store(f);
    }
    const notJson = 'enterprise/2026/11/20/not-json.json';
    // Text V8 quotes in its parse error ('Unexpected token ..., "..." is not valid JSON').
    const notJsonText = Buffer.from('meet me at the harbour at 10');
    await blob(containers.rawItems, notJson).upload(notJsonText, notJsonText.length, { metadata: { runid: RUN } });
    const mms = structuredClone(fixtureItems.find((f) => f.raw.type === 'mms')!);
    mms.raw.id = 'attachment-missing';
    const mmsPath = await store(mms, { skipAttachments: true });
    const goodPath = await store(good);

    for (const p of [...Object.values(paths), notJson, mmsPath, goodPath]) await convertRawItem(p, services);

    const letters = await services.deadLetters.list('enterprise', 'convert');
    const reasonOf = (key: string) => letters.find((l) => l.key === key)?.reason ?? '';
    for (const [id, , reason] of bad) assert.match(reasonOf(paths[id]), reason, id);
    assert.match(reasonOf(notJson), /not JSON/);
    // Regression: the parser's message quoted the item's text, which is personal data.
    assert.doesNotMatch(reasonOf(notJson), /meet/);
    assert.match(reasonOf('attachment-missing'), /attachment IMG_0042\.png is missing from Blob/);
    assert.equal(await blob(containers.mime, emlPathOf(mmsPath)).exists(), false, 'no .eml without its attachment');
    assert.ok(
      letters.every((l) => l.input.startsWith('raw-items/')),
      'each dead letter says where its input is kept',
    );
    assert.ok(await blob(containers.mime, emlPathOf(goodPath)).exists(), 'the good item beside them converted');
    assert.ok(await blob(containers.rawItems, notJson).exists(), 'bad input is kept, not deleted');
    const summary = await services.runStatus.summarize(RUN);
    assert.equal(summary?.connectors.find((c) => c.connectorId === 'enterprise')?.failed, bad.length + 2);
    await importJobs();
  });

  it('converts an item with a 150 MB recording in flat memory; the attachment round-trips', async () => {
    const size = 150 * 1024 * 1024;
    const spec = { kind: 'wav' as const, size, seed: 7 };
    const f = structuredClone(fixtureItems.find((x) => x.raw.type === 'voice-call-recording')!);
    f.raw.id = 'big-recording';
    const hash = createHash('sha256');
    const upload = new PassThrough();
    mediaStream(spec)
      .on('data', (c: Buffer) => hash.update(c))
      .pipe(upload);
    await blob(containers.rawAttachments, rawAttachmentPath('enterprise', 'big-recording', new Date(f.raw.timestamp as string), 'rec-a1')).uploadStream(
      upload,
      4 * 1024 * 1024,
      2,
    );
    const sha256 = hash.digest('hex');
    f.raw.attachments = [{ id: 'rec-a1', name: 'big.wav', contentType: 'audio/wav', size, sha256 }];
    f.attachments = [];
    const path = await rawItemPathStored(f);

    global.gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    try {
      assert.equal((await convertRawItem(path, services)).status, 'converted');
    } finally {
      clearInterval(sampler);
    }
    // Flat: well under the item's own size (the old in-memory way needed several times it).
    assert.ok(peak - baseline < 100 * 1024 * 1024, `RSS grew ${Math.round((peak - baseline) / 1048576)} MB`);

    // Stream the .eml back, decode the attachment part, compare its SHA-256.
    const download = await blob(containers.mime, emlPathOf(path)).download();
    const lines = createInterface({ input: download.readableStreamBody as NodeJS.ReadableStream, crlfDelay: Infinity });
    const got = createHash('sha256');
    let state: 'seek' | 'headers' | 'body' | 'done' = 'seek';
    let longest = 0;
    for await (const line of lines) {
      longest = Math.max(longest, line.length);
      if (state === 'seek' && /^Content-Disposition: attachment/.test(line)) state = 'headers';
      else if (state === 'headers' && line === '') state = 'body';
      else if (state === 'body') {
        if (line.startsWith('--')) state = 'done';
        else got.update(Buffer.from(line, 'base64'));
      }
    }
    assert.equal(got.digest('hex'), sha256);
    assert.ok(longest <= 998);
    await importJobs();

    async function rawItemPathStored(item: FixtureItem) {
      return store(item);
    }
  });

  it('every message the converter wrote is standards-valid', async () => {
    for await (const b of services.storage.blob.getContainerClient(containers.mime).listBlobsFlat()) {
      if (b.properties.contentLength! > 10 * 1024 * 1024 || b.name.includes('crash-between')) continue;
      assertStandardMessage(await blob(containers.mime, b.name).downloadToBuffer());
    }
  });
});
