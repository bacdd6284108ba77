/**
 * The vendor's own deliveries end to end against Azurite and the Graph simulator: SFTP ZIP drops
 * (every fault the issue names ends in a named outcome, nothing else lost) and the journal mailbox
 * (delta, $value, moves, journal-wrapped messages, an expired delta link).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { containers, landingContainerOf } from '../../../shared/storage/names';
import { deliveryZip, journalWrapped, threadedEml, vendorEmails, zipOf } from '../../../dev/stack/archiver-sim/deliveries';
import { JOURNAL_MAILBOX } from '../../../dev/stack/graph-sim/directory';
import {
  convertAndImport,
  copiesIn,
  dropZip,
  duplicates,
  JOURNAL_FOLDER,
  JOURNAL_UPN,
  runFetch,
  startVendorFixture,
  ZIP_FOLDER,
  type VendorFixture,
} from '../../helpers/vendor-fixture';
import { ingestZip } from '../../../shared/fetching/ingest-zip';

const day = new Date('2026-11-20T00:00:00Z');
const emls = (seed: number, count = 4) => vendorEmails({ seed, day, count });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function rawEmails(f: VendorFixture, connectorId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of f.services.storage.blob.getContainerClient(containers.rawItems).listBlobsFlat({ prefix: `${connectorId}/emails/` })) names.push(b.name);
  return names;
}

async function quarantined(f: VendorFixture): Promise<string[]> {
  const names: string[] = [];
  for await (const b of f.services.storage.blob.getContainerClient(containers.landingQuarantine).listBlobsFlat()) names.push(b.name);
  return names;
}

describe('SFTP ZIP drops', () => {
  let f: VendorFixture;
  before(async () => {
    f = await startVendorFixture();
  });
  after(async () => f.stop());

  it('imports every EML of a valid ZIP once per mapped participant; a threaded email is one message; the run counts it', async () => {
    const items = [...emls(1), threadedEml(1, day)];
    const result = await dropZip(f, '202611200000-TeleMessage_1_010000.zip', await deliveryZip(items));
    assert.equal(result.outcome, 'ingested');
    assert.equal(result.written, items.length);
    const { converted, deadLettered } = await convertAndImport(f, 'zipdrop');
    assert.deepEqual(deadLettered, []);
    assert.equal(converted, items.length);
    const copies = copiesIn(f, ZIP_FOLDER);
    assert.ok(copies.length >= items.length - 1, `${copies.length} copies`);
    assert.equal(duplicates(copies), 0);
    const threadId = /Message-ID: (<[^>]+>)/i.exec(threadedEml(1, day).toString())![1];
    const thread = copies.filter((m) => m.internetMessageId === threadId);
    assert.equal(thread.length, 1, 'the threaded email is one message in the one mapped mailbox');
    const summary = await f.services.runStatus.summarize(result.runId!);
    assert.equal(summary?.connectors.find((c) => c.connectorId === 'zipdrop')?.fetched, items.length);
  });

  it('a ZIP delivered again, or renamed, or re-zipped with the same EMLs, imports nothing twice', async () => {
    const zip = await deliveryZip(emls(2));
    assert.equal((await dropZip(f, '202611200000-TeleMessage_2_020000.zip', zip)).outcome, 'ingested');
    await convertAndImport(f, 'zipdrop');
    const before = copiesIn(f, ZIP_FOLDER).length;
    assert.equal((await dropZip(f, '202611200000-TeleMessage_2_020000.zip', zip)).outcome, 'already-ingested');
    assert.equal((await dropZip(f, '202611210000-TeleMessage_7_030000.zip', zip)).outcome, 'already-ingested');
    const rezipped = await dropZip(f, '202611210000-TeleMessage_8_040000.zip', await deliveryZip(emls(2), { manifestName: 'other.mf' }));
    assert.equal(rezipped.outcome, 'ingested');
    assert.equal(rezipped.written, 0);
    assert.equal(rezipped.present, 4);
    await convertAndImport(f, 'zipdrop');
    assert.equal(copiesIn(f, ZIP_FOLDER).length, before);
  });

  const refusals: [string, () => Promise<Buffer>, RegExp][] = [
    [
      'a manifest whose Count: is off',
      async () =>
        zipOf([
          { name: 'a.eml', content: emls(3)[0] },
          { name: 'm.mf', content: Buffer.from('Count: 2\na.eml\n') },
        ]),
      /manifest-count-mismatch/,
    ],
    [
      'a listed EML that is missing',
      async () =>
        zipOf([
          { name: 'a.eml', content: emls(3)[0] },
          { name: 'm.mf', content: Buffer.from('Count: 1\nb.eml\n') },
        ]),
      /manifest-file-missing/,
    ],
    [
      'a zero-byte EML',
      async () =>
        zipOf([
          { name: 'a.eml', content: emls(3)[0] },
          { name: 'b.eml', content: Buffer.alloc(0) },
          { name: 'm.mf', content: Buffer.from('Count: 2\na.eml\nb.eml\n') },
        ]),
      /zero-byte-eml/,
    ],
    [
      'a ZIP bomb',
      async () =>
        zipOf([
          { name: 'bomb.eml', content: Buffer.alloc(20 * 1024 * 1024, 0x41) },
          { name: 'm.mf', content: Buffer.from('Count: 1\nbomb.eml\n') },
        ]),
      /compression-ratio/,
    ],
    [
      'an entry named ../x.eml',
      async () =>
        zipOf([
          { name: '../x.eml', content: emls(3)[0] },
          { name: 'm.mf', content: Buffer.from('Count: 1\n../x.eml\n') },
        ]),
      /unsafe-name/,
    ],
    [
      'an absolute entry name',
      async () =>
        zipOf([
          { name: '/etc/x.eml', content: emls(3)[0] },
          { name: 'm.mf', content: Buffer.from('Count: 1\n/etc/x.eml\n') },
        ]),
      /unsafe-name/,
    ],
    [
      'a non-EML entry',
      async () =>
        zipOf([
          { name: 'a.eml', content: emls(3)[0] },
          { name: 'run.sh', content: Buffer.from('echo') },
          { name: 'm.mf', content: Buffer.from('Count: 1\na.eml\n') },
        ]),
      /non-eml-entry/,
    ],
    [
      'duplicate entry names',
      async () =>
        zipOf([
          { name: 'a.eml', content: emls(3)[0] },
          { name: 'a.eml', content: emls(3)[1] },
          { name: 'm.mf', content: Buffer.from('Count: 2\na.eml\na.eml\n') },
        ]),
      /duplicate-name/,
    ],
    ['no manifest', async () => zipOf([{ name: 'a.eml', content: emls(3)[0] }]), /manifest-missing/],
    [
      'an entry that fails its CRC-32',
      async () => {
        const zip = await zipOf([
          { name: 'a.eml', content: emls(3)[0], store: true },
          { name: 'm.mf', content: Buffer.from('Count: 1\na.eml\n') },
        ]);
        const at = zip.indexOf(Buffer.from('Date:'));
        zip[at] = 0x64; // one byte of the stored EML changed, its CRC left as it was
        return zip;
      },
      /integrity/,
    ],
  ];
  for (const [what, build, reason] of refusals) {
    it(`refuses ${what} whole: named reason, kept in quarantine, dead-lettered and counted; nothing stored`, async () => {
      const stored = (await rawEmails(f, 'zipdrop')).length;
      const name = `bad-${sha(Buffer.from(what)).slice(0, 8)}.zip`;
      const result = await dropZip(f, name, await build());
      assert.equal(result.outcome, 'refused', result.reason);
      assert.match(result.reason!, reason);
      assert.equal((await rawEmails(f, 'zipdrop')).length, stored, 'no EML of a refused ZIP is stored');
      assert.ok(
        (await quarantined(f)).some((q) => q.endsWith(`/${name}`)),
        'the ZIP is kept in landing-quarantine',
      );
      const letters = await f.services.deadLetters.list('zipdrop', 'fetch');
      assert.ok(letters.some((l) => l.key === `zip:${name}` && reason.test(l.reason)));
      const summary = await f.services.runStatus.summarize(result.runId!);
      const c = summary?.connectors.find((x) => x.connectorId === 'zipdrop');
      assert.equal(c?.state, 'failed');
      assert.equal(c?.failed, 1);
    });
  }

  it('an EML that is not MIME is dead-lettered with its reason; the rest of its ZIP is imported', async () => {
    const good = emls(4, 2);
    const zip = await deliveryZip([...good, Buffer.from('%PDF-1.7 not an email')]);
    const result = await dropZip(f, 'mixed.zip', zip);
    assert.equal(result.outcome, 'ingested');
    assert.equal(result.written, 3);
    const { converted, deadLettered } = await convertAndImport(f, 'zipdrop');
    assert.equal(converted, 2);
    assert.equal(deadLettered.length, 1);
    assert.match(deadLettered[0], /^not-mime: /);
  });

  it('an upload in progress is left for later, and refused as not a ZIP only after the settle time', async () => {
    const landing = f.services.landing!.getContainerClient(landingContainerOf('zipdrop'));
    await landing.getBlockBlobClient('uploading.zip').upload(Buffer.alloc(0), 0);
    assert.equal((await dropZip(f, 'uploading.zip', Buffer.alloc(0))).outcome, 'incomplete');
    const whole = await deliveryZip(emls(5, 2));
    const partial = whole.subarray(0, Math.floor(whole.length / 2));
    assert.equal((await dropZip(f, 'uploading.zip', partial)).outcome, 'incomplete');
    const later = () => new Date(Date.now() + 31 * 60_000);
    const refused = await ingestZip('zipdrop', 'uploading.zip', async () => 'settled-run', { ...f.services, landing: f.services.landing!, now: later });
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.reason!, /not-a-zip/);
    // The vendor finishes the upload: the complete ZIP is ingested.
    assert.equal((await dropZip(f, 'uploading.zip', whole)).outcome, 'ingested');
    assert.equal((await dropZip(f, 'upload.zip.part', whole)).outcome, 'ignored');
  });

  it('the scheduled sweep ingests a ZIP no event brought, and skips what it has settled', async () => {
    const landing = f.services.landing!.getContainerClient(landingContainerOf('zipdrop'));
    const zip = await deliveryZip(emls(6, 3));
    await landing.getBlockBlobClient('no-event.zip').upload(zip, zip.length);
    const first = await runFetch(f, 'zipdrop', 'sweep-run-1');
    assert.equal(first.status, 'completed');
    assert.equal(first.written, 3);
    const second = await runFetch(f, 'zipdrop', 'sweep-run-2');
    assert.equal(second.written + second.present + second.quarantined, 0);
  });

  it('two ingests of one ZIP at the same time store each EML once and count the ZIP once', async () => {
    const zip = await deliveryZip(emls(7, 3));
    await f.services.landing!.getContainerClient(landingContainerOf('zipdrop')).getBlockBlobClient('twice.zip').upload(zip, zip.length);
    const deps = { ...f.services, landing: f.services.landing! };
    const results = await Promise.all([
      ingestZip('zipdrop', 'twice.zip', async () => 'race-a', deps),
      ingestZip('zipdrop', 'twice.zip', async () => 'race-b', deps),
    ]);
    const outcomes = results.map((r) => r.outcome).sort();
    assert.ok(outcomes.includes('ingested'), outcomes.join());
    assert.equal(
      results.reduce((n, r) => n + r.written, 0),
      3,
    );
  });
});

describe('journal mailbox (SMTP delivery)', () => {
  let f: VendorFixture;
  beforeEach(async () => {
    f = await startVendorFixture();
  });
  const stop = async () => f.stop();

  it('imports per-message, threaded and journal-wrapped emails once, moving each to the processed folder', async () => {
    try {
      const items = emls(11, 4);
      for (const e of items.slice(0, 3)) await f.graph.deliver(JOURNAL_UPN, e);
      await f.graph.deliver(JOURNAL_UPN, threadedEml(11, day));
      await f.graph.deliver(
        JOURNAL_UPN,
        journalWrapped(items[3], { sender: 'capture@telemessage.invalid', recipients: [JOURNAL_MAILBOX], reportId: '<r1@capture.telemessage.invalid>' }),
      );
      const fetched = await runFetch(f, 'journal', 'journal-run-1');
      assert.equal(fetched.status, 'completed');
      assert.equal(fetched.written, 5);
      assert.equal(f.graph.messagesOf(JOURNAL_UPN, 'Inbox').length, 0);
      assert.equal(f.graph.messagesOf(JOURNAL_UPN, 'Archived by mobile-archive-connector').length, 5);
      const { converted, deadLettered } = await convertAndImport(f, 'journal');
      assert.deepEqual(deadLettered, []);
      assert.equal(converted, 5);
      const copies = copiesIn(f, JOURNAL_FOLDER);
      assert.equal(duplicates(copies), 0);
      // The wrapped original is what lands, with the envelope in the provenance.
      const originalId = /Message-ID: (<[^>]+>)/i.exec(items[3].toString())![1];
      const wrapped = copiesIn(f, JOURNAL_FOLDER).filter((m) => m.internetMessageId === originalId);
      assert.ok(wrapped.length >= 1);
      assert.ok(wrapped.every((m) => m.internetMessageHeaders.some((h) => h.name === 'X-MobileArchive-Item-Type' && h.value === 'journal-email')));
    } finally {
      await stop();
    }
  });

  it('a journal report without its original moves to the attention folder with a named reason; the others go on', async () => {
    try {
      const report = journalWrapped(emls(12, 1)[0], { sender: 's@telemessage.invalid', recipients: [JOURNAL_MAILBOX], reportId: '<r2@x.invalid>' });
      const withoutOriginal = Buffer.from(report.toString('latin1').replace('Content-Type: message/rfc822', 'Content-Type: text/plain'), 'latin1');
      await f.graph.deliver(JOURNAL_UPN, withoutOriginal);
      await f.graph.deliver(JOURNAL_UPN, emls(12, 2)[1]);
      const fetched = await runFetch(f, 'journal', 'journal-run-2');
      assert.equal(fetched.written, 1);
      assert.equal(fetched.quarantined, 1);
      assert.equal(f.graph.messagesOf(JOURNAL_UPN, 'Needs attention').length, 1);
      const letters = await f.services.deadLetters.list('journal', 'fetch');
      assert.ok(
        letters.some((l) => /journal-without-original/.test(l.reason)),
        letters.map((l) => l.reason).join(),
      );
      const summary = await f.services.runStatus.summarize('journal-run-2');
      assert.equal(summary?.connectors.find((c) => c.connectorId === 'journal')?.failed, 1);
    } finally {
      await stop();
    }
  });

  it('an expired delta link (410) reads the folder again and imports nothing twice', async () => {
    try {
      for (const e of emls(13, 3)) await f.graph.deliver(JOURNAL_UPN, e);
      await runFetch(f, 'journal', 'journal-run-3');
      await convertAndImport(f, 'journal');
      const first = copiesIn(f, JOURNAL_FOLDER).length;
      // One message stored but never moved (a crash between the two), and a new one, then the link expires.
      const again = emls(13, 3)[0];
      await f.graph.deliver(JOURNAL_UPN, again);
      await f.graph.deliver(JOURNAL_UPN, emls(14, 1)[0]);
      f.graph.expireDeltaLinks();
      const fetched = await runFetch(f, 'journal', 'journal-run-4');
      assert.equal(fetched.status, 'completed');
      assert.equal(fetched.written, 1);
      assert.equal(fetched.present, 1);
      await convertAndImport(f, 'journal');
      const copies = copiesIn(f, JOURNAL_FOLDER);
      assert.equal(duplicates(copies), 0);
      assert.ok(copies.length > first);
      assert.equal(f.graph.messagesOf(JOURNAL_UPN, 'Inbox').length, 0);
    } finally {
      await stop();
    }
  });
});
