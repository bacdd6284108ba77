/**
 * The http-api source: the archiver's item list, page after page from the job's cursor, each line
 * stored as it arrives. Bounded: every page at most FETCH_PAGE_SIZE lines of at most
 * FETCH_MAX_LINE_KB (and at most twice the lines asked for), at most FETCH_MAX_PAGES_PER_WINDOW pages per window, and a cursor that comes
 * back (the archiver going round in circles) stops the window. A page whose body is cut off is read
 * again; one that stays cut off is recorded as a failed page (its cursor kept for a re-fetch) and
 * the window goes on with the next page, so one bad page never stalls a connector.
 */
import { createHash } from 'node:crypto';
import type { ConnectorSettings } from '../config/connector-settings';
import type { FetchJob } from '../jobs/fetch-job';
import { ArchiverClient, type ItemPage } from '../archiver/archiver-client';
import { OversizeLine, type PageLine } from '../archiver/ndjson-lines';
import type { Window } from '../windows/window';
import { keepInQuarantine, storeRawItem, type StoreContext } from './store-raw-item';
import type { FetchDeps, SourcePart } from './fetch-types';
import type { DeadLetterStore } from '../runs/dead-letters';
import type { ItemRecord } from '../runs/run-status';

/** Items of a page stored at once: storage round-trips overlap, memory stays bounded. */
const ITEM_CONCURRENCY = 8;
/** Reads of one page whose body keeps being cut off, before the page is recorded as failed. */
const PAGE_ATTEMPTS = 3;

type Deps = FetchDeps & { deadLetters: DeadLetterStore };

/** `progress` follows the pages read, so a part that fails is retried from its last page. */
export async function fetchArchiverPart(
  job: FetchJob,
  connector: ConnectorSettings,
  window: Window,
  deps: Deps,
  deadline: number,
  progress: { cursor?: string; pages: number },
): Promise<SourcePart> {
  const now = deps.now ?? (() => new Date());
  const limits = deps.settings.fetch;
  const archiver = (deps.archiverFor ?? ((c) => defaultArchiver(c, deps.settings)))(connector);
  const result: SourcePart = { pages: 0, written: 0, present: 0, quarantined: 0 };
  const store: StoreContext = { storage: deps.storage, archiver, connectorId: connector.id, runId: job.runId, limits };
  let cursor = job.cursor;
  const seen = new Set(cursor ? [cursor] : []);
  for (;;) {
    if ((job.pages ?? 0) + result.pages >= limits.maxPagesPerWindow) {
      const message = `page-cap: ${limits.maxPagesPerWindow} pages read in window ${window.from.toISOString()} .. ${window.to.toISOString()} without reaching its end (FETCH_MAX_PAGES_PER_WINDOW); the next run fetches the window again`;
      return { ...result, stopped: { outcome: 'page-cap', message } };
    }
    const next = await readPage(archiver, connector, window, cursor, job, store, deps, result);
    result.pages++;
    progress.pages = result.pages;
    if (!next) return result;
    if (seen.has(next)) {
      const message = `cursor-not-advancing: the archiver answered page ${(job.pages ?? 0) + result.pages} with a cursor it had given before; the window stops here and the next run fetches it again`;
      return { ...result, stopped: { outcome: 'cursor-not-advancing', message } };
    }
    seen.add(next);
    cursor = next;
    progress.cursor = next;
    if (now().getTime() >= deadline) return { ...result, cursor };
  }
}

/** Reads and stores one page; returns its next cursor. */
async function readPage(
  archiver: ArchiverClient,
  connector: ConnectorSettings,
  window: Window,
  cursor: string | undefined,
  job: FetchJob,
  store: StoreContext,
  deps: Deps,
  result: SourcePart,
): Promise<string | undefined> {
  const limit = deps.settings.fetch.pageSize;
  // Lines stored by an earlier read of this page (the same cursor gives the same page) are not
  // stored or counted again; storing one twice would write nothing, but count it twice.
  const done = new Set<number>();
  for (let attempt = 1; ; attempt++) {
    const page = await archiver.listItems(connector.product, window, { cursor, limit });
    // The page's outcomes are recorded together (entity-group transactions, not a request per
    // item), and before its cursor is handed on: a crash before that fetches the page again.
    const rows: ItemRecord[] = [];
    let cut: Awaited<ReturnType<typeof eachLine>>;
    try {
      cut = await eachLine(page, limit, async (line, index) => {
        if (done.has(index)) return;
        rows.push(await storeLine(line, store, deps, result));
        done.add(index);
      });
    } catch (err) {
      // The failure is what the caller must hear; the stored lines are recorded if storage lets us.
      await deps.runStatus.recordItems(job.runId, rows).catch(() => undefined);
      throw err;
    }
    await deps.runStatus.recordItems(job.runId, rows);
    if (!cut) return page.nextCursor;
    if (attempt >= PAGE_ATTEMPTS || cut.permanent) {
      const pageKey = `page-${createHash('sha256')
        .update(cursor ?? '')
        .digest('hex')
        .slice(0, 16)}`;
      const reason = `${cut.permanent ? 'page-too-long' : 'page-incomplete'}: ${cut.message}; ${done.size} item(s) of the page were stored, the page can be fetched again with its cursor`;
      await deps.deadLetters.record({
        connectorId: connector.id,
        stage: 'fetch',
        key: pageKey,
        reason,
        input: `archiver:${connector.product}?from=${window.from.toISOString()}&to=${window.to.toISOString()}&cursor=${cursor ?? ''}`,
        runId: job.runId,
      });
      await deps.runStatus.recordItem(job.runId, connector.id, 'fetch', pageKey, 'failed', { reason });
      (deps.log ?? (() => undefined))(`${connector.id}: ${reason}`);
      return page.nextCursor;
    }
  }
}

/**
 * Hands every line of a page to `handle`, ITEM_CONCURRENCY at a time. A body that is cut off or
 * longer than asked ends the page early and is returned (after the running lines are done); a
 * failure of `handle` is thrown.
 */
async function eachLine(
  page: ItemPage,
  limit: number,
  handle: (line: PageLine, index: number) => Promise<void>,
): Promise<{ message: string; permanent: boolean } | undefined> {
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let cut: { message: string; permanent: boolean } | undefined;
  let count = 0;
  try {
    for await (const line of page.lines) {
      if (failure) break;
      // Archivers may repeat an item across pages; twice what was asked is no page but an endless body.
      if (++count > 2 * limit) {
        cut = { message: `the archiver sent more than twice the ${limit} items asked for in one page`, permanent: true };
        break;
      }
      const task: Promise<void> = handle(line, count - 1)
        .catch((err: unknown) => void (failure ??= { err }))
        .finally(() => running.delete(task));
      running.add(task);
      if (running.size >= ITEM_CONCURRENCY) await Promise.race(running);
    }
  } catch (err) {
    cut = { message: `the page's body was cut off (${(err as Error).message})`, permanent: false };
  }
  await Promise.all(running);
  if (failure) throw failure.err;
  return cut;
}

/** Stores one line; returns its outcome for the run's record. */
async function storeLine(line: PageLine, store: StoreContext, deps: Deps, result: SourcePart): Promise<ItemRecord> {
  const log = deps.log ?? (() => undefined);
  if (line instanceof OversizeLine) {
    // Only the head is kept: the point of the limit is that the rest is never held.
    const reason =
      `line-too-long: an item of ${line.bytes} bytes (SHA-256 ${line.sha256}), over FETCH_MAX_LINE_KB; ` +
      `its first ${line.head.length} bytes are kept; raise the limit and fetch the window again to store it`;
    const path = await keepInQuarantine(store.storage, store, line.head, reason);
    result.quarantined++;
    log(`${store.connectorId}: an item over the line limit was not stored (${path})`);
    return { connectorId: store.connectorId, stage: 'fetch', key: `line-${line.sha256.slice(0, 16)}`, outcome: 'failed', details: { reason } };
  }
  const stored = await storeRawItem(store, line);
  if (stored.outcome === 'quarantined') {
    result.quarantined++;
    log(`${store.connectorId}: kept an unusable item in quarantine (${stored.path}): ${stored.reason}`);
    return { connectorId: store.connectorId, stage: 'fetch', key: stored.key, outcome: 'failed', details: { reason: stored.reason } };
  }
  result[stored.outcome]++;
  return { connectorId: store.connectorId, stage: 'fetch', key: stored.key, outcome: stored.outcome, details: { path: stored.path } };
}

/** The archiver client of an http-api connector, with the app's time and size bounds. */
export function defaultArchiver(connector: ConnectorSettings, settings: Pick<FetchDeps['settings'], 'fetch' | 'http'>): ArchiverClient {
  if (connector.password === undefined || !connector.archiverUrl || !connector.username) {
    throw new Error(`connector ${connector.id} has no archiver sign-in: ${connector.unavailable ?? 'not set'}`);
  }
  return new ArchiverClient(
    { baseUrl: connector.archiverUrl, username: connector.username, password: connector.password },
    { timeouts: settings.http, maxLineBytes: settings.fetch.maxLineBytes },
  );
}
