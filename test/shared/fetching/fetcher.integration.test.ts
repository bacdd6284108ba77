import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ArchiverClient, type ItemPage } from '../../../shared/archiver/archiver-client';
import { fetchWindowPart } from '../../../shared/fetching/fetch-window-part';
import { containers } from '../../../shared/storage/names';
import type { Window } from '../../../shared/windows/window';
import { dispatchOne, rawItemBlobs, runJobChain, sourceItems, startFetchFixture, takeJobs, type FetchFixture } from '../../helpers/fetch-fixture';

const DAY = 86_400_000;
let runCounter = 0;
const runId = () => `test-run-${++runCounter}`;

/** Same ids, same bytes: what is in Blob is exactly what the archiver holds for the window. */
async function assertExactlySource(f: FetchFixture, connectorId: string, product: string, window: { from: string; to: string }) {
  const source = await sourceItems(f.sim, product, window);
  const stored = await rawItemBlobs(f.services, connectorId);
  assert.equal(stored.size, source.size, `stored ${stored.size} items, source has ${source.size}`);
  const storedHashes = [...stored.values()].sort();
  assert.deepEqual(storedHashes, [...source.values()].sort(), 'every stored item is byte for byte a source item');
}

describe('fetcher (Azurite + archiver simulator)', () => {
  describe('paging, idempotence and continuation', () => {
    let f: FetchFixture;
    before(async () => {
      f = await startFetchFixture({ itemsPerDay: 60 }, { FETCH_PAGE_SIZE: '7', ARCHIVE_CONNECTORS: 'enterprise,o2,whatsapp' });
    });
    after(() => f.stop());

    it('pages through a whole window, stores every item and attachment, and moves the watermark', async () => {
      const job = await dispatchOne(f.services, 'enterprise', new Date('2026-03-10T01:00:00Z'), runId());
      const results = await runJobChain(job, f.services);
      assert.equal(results.length, 1);
      assert.ok(results[0].pages >= 8, `expected many pages, got ${results[0].pages}`);
      await assertExactlySource(f, 'enterprise', 'enterprise-number', job.window);
      const checkpoint = await f.services.checkpoints.read('enterprise');
      assert.equal(checkpoint?.watermark?.toISOString(), job.window.to);
      assert.equal(checkpoint?.inFlight, undefined);
      const summary = await f.services.runStatus.summarize(job.runId);
      const source = await sourceItems(f.sim, 'enterprise-number', job.window);
      assert.equal(summary?.connectors[0].fetched, source.size);
      assert.equal(summary?.connectors[0].state, 'converting', 'fetched, with no item converted yet (no converter runs here)');
      // Every attachment the items announce is stored with the announced SHA-256.
      const items = await f.sim.source.listWindow('enterprise-number', new Date(job.window.from), new Date(job.window.to));
      const attachments = f.services.storage.blob.getContainerClient(containers.rawAttachments);
      let count = 0;
      for await (const b of attachments.listBlobsFlat({ prefix: 'enterprise/', includeMetadata: true })) {
        const id = decodeURIComponent(b.name.split('/').pop()!);
        const announced = items.flatMap((i) => i.attachments).find((a) => a.id === id);
        assert.equal(b.metadata?.sha256, announced?.sha256);
        count++;
      }
      assert.equal(count, items.flatMap((i) => i.attachments).length);
    });

    it('re-running the same window writes nothing new', async () => {
      const before = await rawItemBlobs(f.services, 'enterprise');
      const container = f.services.storage.blob.getContainerClient(containers.rawItems);
      const etags = new Map<string, string>();
      for await (const b of container.listBlobsFlat({ prefix: 'enterprise/' })) etags.set(b.name, b.properties.etag);
      // Rewind the watermark to refetch the same window under a new run.
      const cp = await f.services.checkpoints.read('enterprise');
      await f.services.checkpoints.claim('enterprise', cp, {
        runId: 'rerun',
        from: new Date('2026-03-09T00:00:00Z'),
        to: cp!.watermark!,
        state: 'dispatched',
        claimedAt: new Date(),
        leaseUntil: new Date(Date.now() + DAY),
      });
      const job = {
        version: 1 as const,
        runId: 'rerun',
        connectorId: 'enterprise',
        window: { from: '2026-03-09T00:00:00.000Z', to: cp!.watermark!.toISOString() },
        part: 0,
      };
      const [result] = await runJobChain(job, f.services);
      assert.equal(result.written, 0);
      assert.ok(result.present > 0);
      for await (const b of container.listBlobsFlat({ prefix: 'enterprise/' })) {
        if (etags.has(b.name)) assert.equal(b.properties.etag, etags.get(b.name), `${b.name} was rewritten`);
      }
      assert.deepEqual(await rawItemBlobs(f.services, 'enterprise'), before);
    });

    it('splits a long window across continuation jobs, and a duplicated part sends no second chain', async () => {
      const job = await dispatchOne(f.services, 'o2', new Date('2026-03-12T01:00:00Z'), runId());
      // A clock that jumps a minute per call: every part's time is up after its first page.
      let t = Date.parse('2026-03-12T01:00:00Z');
      const deps = {
        ...f.services,
        settings: { ...f.services.settings, fetch: { ...f.services.settings.fetch, partSeconds: 30 } },
        now: () => new Date((t += 60_000)),
      };
      const first = await fetchWindowPart(job, deps);
      assert.equal(first.status, 'continued');
      // The same part delivered again (at-least-once queues): it must not start a second chain.
      const duplicate = await fetchWindowPart(job, deps);
      assert.equal(duplicate.status, 'stale');
      const continuations = await takeJobs(f.services);
      assert.equal(continuations.length, 1);
      assert.equal(continuations[0].part, 1);
      assert.ok(continuations[0].cursor);
      const rest = await runJobChain(continuations[0], deps);
      assert.ok(rest.length > 1, 'several parts');
      assert.equal(rest[rest.length - 1].status, 'completed');
      await assertExactlySource(f, 'o2', 'o2-network', job.window);
    });
  });

  it('a crash in the middle of a window, then the retry, leaves exactly the source item set', async () => {
    const f = await startFetchFixture({ itemsPerDay: 50 }, { FETCH_PAGE_SIZE: '6' });
    try {
      const job = await dispatchOne(f.services, 'whatsapp', new Date('2026-03-10T01:00:00Z'), runId());
      // The process dies after four pages (the host would redeliver the message later).
      let pages = 0;
      class CrashingClient extends ArchiverClient {
        override async listItems(product: string, window: Window, options: { cursor?: string; limit: number }): Promise<ItemPage> {
          if (++pages > 4) throw new Error('process killed');
          return super.listItems(product, window, options);
        }
      }
      const connector = f.services.settings.connectors.find((c) => c.id === 'whatsapp')!;
      const crashing = new CrashingClient({ baseUrl: connector.archiverUrl!, username: connector.username!, password: connector.password! });
      await assert.rejects(fetchWindowPart(job, { ...f.services, archiverFor: () => crashing }), /process killed/);
      const partial = await rawItemBlobs(f.services, 'whatsapp');
      assert.ok(partial.size > 0 && partial.size < 50, `partial fetch stored ${partial.size}`);
      const [retry] = await runJobChain(job, f.services);
      assert.equal(retry.status, 'completed');
      await assertExactlySource(f, 'whatsapp', 'whatsapp', job.window);
      // Items the crashed attempt stored belong to the same run: counted once, not twice, not as "present".
      const summary = await f.services.runStatus.summarize(job.runId);
      assert.equal(summary?.connectors[0].fetched, 50);
      assert.equal(summary?.connectors[0].alreadyPresent, 0);
    } finally {
      await f.stop();
    }
  });

  it('recovers from 429/5xx storms, expiring tokens, repeated items and downloads reset mid-way', async () => {
    const f = await startFetchFixture(
      {
        itemsPerDay: 40,
        faults: { rate429: 0.15, rate500: 0.1, rate503: 0.1, retryAfterSeconds: 0, resetDownloads: 1, duplicatesAcrossPages: true, tokenExpiryRate: 0.1 },
      },
      { FETCH_PAGE_SIZE: '5' },
    );
    try {
      const job = await dispatchOne(f.services, 'enterprise', new Date('2026-03-10T01:00:00Z'), runId());
      const results = await runJobChain(job, f.services, { attempts: 10 });
      assert.equal(results[results.length - 1].status, 'completed');
      await assertExactlySource(f, 'enterprise', 'enterprise-number', job.window);
      const { faults } = f.sim.stats;
      assert.ok(faults.throttled > 0 && faults.serverErrors > 0 && faults.unavailable > 0, JSON.stringify(faults));
      assert.ok(faults.resets > 0 && faults.duplicates > 0 && faults.tokenExpired > 0, JSON.stringify(faults));
    } finally {
      await f.stop();
    }
  });

  it('a 150 MB attachment arrives whole, with the SHA-256 the item announced', async () => {
    const f = await startFetchFixture({ itemsPerDay: 1, largeAttachmentMb: 150, faults: { resetDownloads: 1 } });
    try {
      const job = await dispatchOne(f.services, 'o2', new Date('2026-03-10T01:00:00Z'), runId());
      const [item] = await f.sim.source.listWindow('o2-network', new Date(job.window.from), new Date(job.window.to));
      const [announced] = item.attachments;
      assert.equal(announced.size, 150 * 1024 * 1024);
      const [result] = await runJobChain(job, f.services);
      assert.equal(result.written, 1);
      assert.equal(f.sim.stats.faults.resets, 1, 'the first download was cut off half-way and resumed');
      const attachments = f.services.storage.blob.getContainerClient(containers.rawAttachments);
      const names: string[] = [];
      for await (const b of attachments.listBlobsFlat({ prefix: 'o2/' })) names.push(b.name);
      assert.equal(names.length, 1);
      const hash = createHash('sha256');
      const download = await attachments.getBlobClient(names[0]).download();
      for await (const chunk of download.readableStreamBody!) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), announced.sha256);
    } finally {
      await f.stop();
    }
  });

  it('a refused sign-in fails the run clearly and leaves the checkpoint where it was', async () => {
    const f = await startFetchFixture({ itemsPerDay: 5 }, { CONNECTOR__O2__PASSWORD: 'wrong-password' });
    try {
      const job = await dispatchOne(f.services, 'o2', new Date('2026-03-10T01:00:00Z'), runId());
      const before = await f.services.checkpoints.read('o2');
      const result = await fetchWindowPart(job, f.services);
      assert.equal(result.status, 'sign-in-failed');
      // What functions/fetcher.ts logs at error level (not information): the connector and why.
      assert.match(result.message ?? '', /^sign-in-failed: the archiver refused the sign-in/);
      assert.equal(f.sim.stats.signInsRefused, 1, 'no retry of a refused sign-in');
      const summary = await f.services.runStatus.summarize(job.runId);
      assert.equal(summary?.connectors[0].state, 'failed');
      assert.match(summary?.connectors[0].message ?? '', /refused the sign-in.*USERNAME and PASSWORD/);
      const after = await f.services.checkpoints.read('o2');
      assert.equal(after?.watermark?.toISOString(), before?.watermark?.toISOString());
      assert.equal(after?.inFlight, undefined, 'the window is free for the next run');
      assert.equal((await rawItemBlobs(f.services, 'o2')).size, 0);
    } finally {
      await f.stop();
    }
  });

  it('a window dispatched before its password went missing is given back, with the setting named, and no sign-in is tried', async () => {
    const f = await startFetchFixture({ itemsPerDay: 5 });
    try {
      const job = await dispatchOne(f.services, 'o2', new Date('2026-03-10T01:00:00Z'), runId());
      const o2 = f.services.settings.connectors.find((c) => c.id === 'o2')!;
      // As the next process start reads it: the Key Vault reference no longer resolves.
      const unavailable = { ...o2, password: undefined, unavailable: 'CONNECTOR__O2__PASSWORD is an unresolved Key Vault reference' };
      const settings = { ...f.services.settings, connectors: f.services.settings.connectors.map((c) => (c.id === 'o2' ? unavailable : c)) };
      const result = await fetchWindowPart(job, { ...f.services, settings });
      assert.equal(result.status, 'unavailable');
      assert.equal(f.sim.stats.signIns + f.sim.stats.signInsRefused, 0, 'no sign-in without credentials');
      const summary = await f.services.runStatus.summarize(job.runId);
      assert.equal(summary?.connectors[0].state, 'failed');
      assert.match(summary?.connectors[0].message ?? '', /CONNECTOR__O2__PASSWORD is an unresolved Key Vault reference/);
      assert.equal((await f.services.checkpoints.read('o2'))?.inFlight, undefined, 'the window is free for the next run');
    } finally {
      await f.stop();
    }
  });

  it('keeps an unusable line in quarantine with its reason and stores the rest', async () => {
    const f = await startFetchFixture({ itemsPerDay: 6 });
    try {
      const job = await dispatchOne(f.services, 'whatsapp', new Date('2026-03-10T01:00:00Z'), runId());
      const bad = Buffer.from('{"id": "broken", "timestamp": "not a time"}');
      class OneBadLine extends ArchiverClient {
        override async listItems(product: string, window: Window, options: { cursor?: string; limit: number }): Promise<ItemPage> {
          const page = await super.listItems(product, window, options);
          return {
            ...page,
            lines: (async function* () {
              yield bad;
              yield* page.lines;
            })(),
          };
        }
      }
      const connector = f.services.settings.connectors.find((c) => c.id === 'whatsapp')!;
      const client = new OneBadLine({ baseUrl: connector.archiverUrl!, username: connector.username!, password: connector.password! });
      const result = await fetchWindowPart(job, { ...f.services, archiverFor: () => client });
      assert.equal(result.status, 'completed');
      assert.equal(result.quarantined, 1);
      assert.equal(result.written, 6);
      const quarantine = f.services.storage.blob.getContainerClient(containers.rawQuarantine);
      const kept: Buffer[] = [];
      for await (const b of quarantine.listBlobsFlat({ includeMetadata: true })) {
        kept.push(await quarantine.getBlobClient(b.name).downloadToBuffer());
        assert.match(decodeURIComponent(b.metadata!.reason), /timestamp must be an ISO 8601 timestamp/);
      }
      assert.deepEqual(kept, [bad], 'the line is kept byte for byte');
      const summary = await f.services.runStatus.summarize(job.runId);
      assert.equal(summary?.connectors[0].failed, 1);
    } finally {
      await f.stop();
    }
  });
});

describe('fetcher against a hostile archiver (issue 12)', () => {
  /** Runs one window of `connector` against an archiver with `faults`, with short time bounds; returns the results and the run's failures. */
  async function hostileWindow(faults: Record<string, unknown>, env: Record<string, string> = {}, connectorId = 'whatsapp') {
    const f = await startFetchFixture(
      { itemsPerDay: 30, faults },
      { FETCH_PAGE_SIZE: '5', HTTP_FIRST_BYTE_TIMEOUT_SECONDS: '2', HTTP_IDLE_TIMEOUT_SECONDS: '1', ...env },
    );
    try {
      const job = await dispatchOne(f.services, connectorId, new Date('2026-03-10T01:00:00Z'), runId());
      const started = Date.now();
      const results = await runJobChain(job, f.services, { attempts: 5, maxParts: 50 });
      const seconds = (Date.now() - started) / 1000;
      const failures: { key: string; reason: string }[] = [];
      for await (const row of f.services.runStatus.itemRows(job.runId)) if (row.outcome === 'failed') failures.push({ key: row.key, reason: row.reason ?? '' });
      const summary = await f.services.runStatus.summarize(job.runId);
      const checkpoint = await f.services.checkpoints.read(connectorId);
      const stored = await rawItemBlobs(f.services, connectorId);
      return { f, job, results, seconds, failures, summary, checkpoint, stored };
    } catch (err) {
      await f.stop();
      throw err;
    }
  }

  it('defect 2: attachments answering 404 are quarantined per item with a named reason, and the window completes', async () => {
    const r = await hostileWindow({ goneAttachmentRate: 0.5 });
    try {
      assert.equal(r.results.at(-1)?.status, 'completed');
      assert.ok(r.checkpoint?.inFlight === undefined && r.checkpoint?.watermark, 'the watermark moved');
      const gone = r.failures.filter((x) => /^attachment-gone: /.test(x.reason));
      assert.ok(gone.length > 0 && r.f.sim.stats.faults.gone > 0, JSON.stringify(r.failures));
      assert.equal(r.stored.size + gone.length, 30, 'every item is stored or named');
    } finally {
      await r.f.stop();
    }
  });

  it('defect 2: a body shorter than its Content-Length is retried from where it stopped, then quarantined as incomplete', async () => {
    const r = await hostileWindow({ shortAttachmentRate: 0.4 });
    try {
      assert.equal(r.results.at(-1)?.status, 'completed');
      const short = r.failures.filter((x) => /^attachment-incomplete: /.test(x.reason));
      assert.ok(short.length > 0, JSON.stringify(r.failures));
      assert.equal(r.stored.size + short.length, 30);
    } finally {
      await r.f.stop();
    }
  });

  it('defect 2: a page whose body is always cut off is recorded with its cursor and the window goes on', async () => {
    const r = await hostileWindow({ cutPageRate: 0.3 });
    try {
      assert.equal(r.results.at(-1)?.status, 'completed');
      const pages = r.failures.filter((x) => /^page-incomplete: /.test(x.reason));
      assert.ok(pages.length > 0 && r.f.sim.stats.faults.cutPages > 0, JSON.stringify(r.failures));
      const letters = await r.f.services.deadLetters.list('whatsapp', 'fetch');
      assert.ok(
        letters.some((l) => l.input.includes('cursor=')),
        'the page can be fetched again',
      );
    } finally {
      await r.f.stop();
    }
  });

  it('defect 2: a sign-in answer that is not JSON fails the window once with a named reason, not five times into the poison queue', async () => {
    const r = await hostileWindow({ signInNotJson: true });
    try {
      assert.deepEqual(
        r.results.map((x) => x.status),
        ['stopped'],
      );
      assert.equal(r.summary?.connectors[0].state, 'failed');
      assert.match(r.summary?.connectors[0].message ?? '', /not JSON \(text\/html\)/);
      assert.equal(r.checkpoint?.inFlight, undefined, 'the window is given back for the next run');
    } finally {
      await r.f.stop();
    }
  });

  it('defect 3: a cursor that never advances stops the window with a named outcome after a bounded number of requests', async () => {
    const r = await hostileWindow({ endlessCursor: true });
    try {
      assert.equal(r.results.at(-1)?.status, 'stopped');
      assert.match(r.summary?.connectors[0].message ?? '', /^cursor-not-advancing: /);
      assert.ok(r.f.sim.stats.pages <= 3, `${r.f.sim.stats.pages} pages requested`);
    } finally {
      await r.f.stop();
    }
  });

  it('defect 3: the page cap stops a window that keeps going, with a named outcome', async () => {
    const r = await hostileWindow({}, { FETCH_MAX_PAGES_PER_WINDOW: '3' });
    try {
      assert.equal(r.results.at(-1)?.status, 'stopped');
      assert.match(r.summary?.connectors[0].message ?? '', /^page-cap: 3 pages/);
      assert.equal(r.f.sim.stats.pages, 3);
    } finally {
      await r.f.stop();
    }
  });

  it('defect 3: a trickling list and a stalled attachment end within the time bounds', async () => {
    const trickle = await hostileWindow({ trickleMs: 3000 });
    try {
      assert.ok(trickle.seconds < 120, `took ${trickle.seconds} s`);
      assert.ok(
        trickle.failures.some((x) => /^page-incomplete: .*idle timeout/.test(x.reason)),
        JSON.stringify(trickle.failures),
      );
    } finally {
      await trickle.f.stop();
    }
    const stalled = await hostileWindow({ stalledAttachmentRate: 0.3 });
    try {
      assert.equal(stalled.results.at(-1)?.status, 'completed');
      assert.ok(stalled.seconds < 120, `took ${stalled.seconds} s`);
      assert.ok(
        stalled.failures.some((x) => /^attachment-incomplete: .*idle timeout/.test(x.reason)),
        JSON.stringify(stalled.failures),
      );
    } finally {
      await stalled.f.stop();
    }
  });

  it('defect 3: an attachment announced larger than the limit is not downloaded; a line over the limit is never held', async () => {
    const big = await hostileWindow({ announceAttachmentBytes: 2 * 1024 ** 3 });
    try {
      assert.equal(big.results.at(-1)?.status, 'completed');
      assert.ok(
        big.failures.some((x) => /^attachment-too-large: .*2048\.0 MB/.test(x.reason)),
        JSON.stringify(big.failures),
      );
    } finally {
      await big.f.stop();
    }
    const long = await hostileWindow({ hugeLineBytes: 3 * 1024 * 1024 }, { FETCH_MAX_LINE_KB: '256' });
    try {
      assert.equal(long.results.at(-1)?.status, 'completed');
      const named = long.failures.filter((x) => /^line-too-long: an item of \d+ bytes/.test(x.reason));
      assert.ok(named.length > 0, JSON.stringify(long.failures));
      const quarantine = long.f.services.storage.blob.getContainerClient(containers.rawQuarantine);
      for await (const b of quarantine.listBlobsFlat()) assert.ok((b.properties.contentLength ?? 0) <= 4096, 'only the head is kept');
    } finally {
      await long.f.stop();
    }
  });
});
