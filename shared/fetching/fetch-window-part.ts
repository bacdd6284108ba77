/**
 * One fetch job part: page through the run's window from the job's cursor, store every item,
 * and either complete the window (the watermark moves) or, when the part's time is up, hand the
 * rest to a continuation job. Safe to run again: items already stored are not written twice, and
 * only one execution of a part may send its continuation.
 */
import pLimit from 'p-limit';
import type { ConnectorSettings } from '../config/connector-settings';
import type { FetchJob } from '../jobs/fetch-job';
import { sendJsonMessage } from '../storage/queue-messages';
import { ArchiverClient } from '../archiver/archiver-client';
import { ArchiverSignInError } from '../archiver/errors';
import { storeRawItem } from './store-raw-item';
import { fetchJournalPart, JournalMailboxError } from './journal-mailbox';
import { sweepLanding } from './sweep-landing';
import type { FetchDeps, FetchPartResult, SourcePart } from './fetch-types';
import type { Window } from '../windows/window';
import { countWindowCompleted } from '../telemetry/metrics';

/** Items of a page stored at once: storage round-trips overlap, memory stays bounded. */
const ITEM_CONCURRENCY = 8;

export type { FetchDeps, FetchPartResult } from './fetch-types';

export async function fetchWindowPart(job: FetchJob, deps: FetchDeps): Promise<FetchPartResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const result: FetchPartResult = { status: 'stale', pages: 0, written: 0, present: 0, quarantined: 0 };
  const connector = deps.settings.connectors.find((c) => c.id === job.connectorId);
  if (!connector) throw new Error(`fetch job for connector "${job.connectorId}", which is not configured (ARCHIVE_CONNECTORS)`);

  const checkpoint = await deps.checkpoints.read(connector.id);
  const inFlight = checkpoint?.inFlight;
  if (!inFlight || inFlight.runId !== job.runId || (inFlight.part ?? 0) !== job.part) {
    // Completed, superseded by a later run, or a duplicate of a part whose continuation already went out.
    log(`fetch job ${job.runId} part ${job.part} for ${connector.id} is no longer current; nothing to do`);
    return result;
  }

  const window = { from: new Date(job.window.from), to: new Date(job.window.to) };
  // Retrying cannot succeed without credentials: report why and give the window back (the watermark
  // stays), so the next run fetches it once they are fixed.
  const giveBack = async (message: string, status: 'sign-in-failed' | 'unavailable'): Promise<FetchPartResult> => {
    await deps.runStatus.setConnectorState(job.runId, connector.id, 'failed', { windowFrom: window.from, windowTo: window.to, message });
    await deps.checkpoints.release(connector.id, job.runId);
    log(`${connector.id}: ${message}`);
    return { ...result, status };
  };
  // Dispatched before its secret went missing.
  if (connector.unavailable) return giveBack(`connector ${connector.id} is unavailable: ${connector.unavailable}`, 'unavailable');
  const deadline = now().getTime() + deps.settings.fetch.partSeconds * 1000;
  await deps.runStatus.setConnectorState(job.runId, connector.id, 'fetching', { windowFrom: window.from, windowTo: window.to });

  let part: SourcePart;
  try {
    part =
      connector.source === 'smtp-mailbox'
        ? await fetchJournalPart(job, connector, needs(deps, 'mailboxApi', 'deadLetters'), deadline)
        : connector.source === 'sftp-zip'
          ? await sweepLanding(job, connector, needs(deps, 'landing', 'deliveries', 'deadLetters'), deadline)
          : await fetchArchiverPart(job, connector, window, deps, deadline);
  } catch (err) {
    // A refused sign-in, retried, may also lock the account; a journal mailbox the app cannot read needs an admin.
    if (err instanceof ArchiverSignInError || err instanceof JournalMailboxError) return giveBack(err.message, 'sign-in-failed');
    throw err;
  }
  const counts = { pages: part.pages, written: part.written, present: part.present, quarantined: part.quarantined };

  if (part.cursor !== undefined) {
    const leaseUntil = new Date(now().getTime() + deps.settings.fetch.leaseMinutes * 60_000);
    if (await deps.checkpoints.advancePart(connector.id, job.runId, job.part, leaseUntil)) {
      await sendJsonMessage(deps.fetchQueue, { ...job, cursor: part.cursor, part: job.part + 1 } satisfies FetchJob);
      log(`${connector.id}: part ${job.part} read ${part.pages} page(s); continuing in part ${job.part + 1}`);
    }
    return { ...counts, status: 'continued' };
  }
  if (await deps.checkpoints.complete(connector.id, job.runId)) {
    await deps.runStatus.setConnectorState(job.runId, connector.id, 'fetched', { windowFrom: window.from, windowTo: window.to });
    countWindowCompleted(connector.id);
    log(`${connector.id}: window ${job.window.from} .. ${job.window.to} fetched completely`);
  }
  return { ...counts, status: 'completed' };
}

/** The deps a source needs beyond the common ones, checked once. */
function needs<K extends keyof FetchDeps>(deps: FetchDeps, ...keys: K[]): FetchDeps & Required<Pick<FetchDeps, K>> {
  for (const k of keys) if (deps[k] === undefined) throw new Error(`the fetcher was started without ${String(k)}`);
  return deps as FetchDeps & Required<Pick<FetchDeps, K>>;
}

/** The http-api source: pages of the archiver's item list from the job's cursor. */
async function fetchArchiverPart(job: FetchJob, connector: ConnectorSettings, window: Window, deps: FetchDeps, deadline: number): Promise<SourcePart> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const archiver = (deps.archiverFor ?? defaultArchiver)(connector);
  const result: SourcePart = { pages: 0, written: 0, present: 0, quarantined: 0 };
  let cursor = job.cursor;
  for (;;) {
    const page = await archiver.listItems(connector.product, window, { cursor, limit: deps.settings.fetch.pageSize });
    result.pages++;
    const limit = pLimit(ITEM_CONCURRENCY);
    await Promise.all(
      page.lines.map((line) =>
        limit(async () => {
          const stored = await storeRawItem({ storage: deps.storage, archiver, connectorId: connector.id, runId: job.runId }, line);
          if (stored.outcome === 'quarantined') {
            result.quarantined++;
            log(`${connector.id}: kept an unusable item in quarantine (${stored.path}): ${stored.reason}`);
            await deps.runStatus.recordItem(job.runId, connector.id, 'fetch', stored.key, 'failed', { reason: stored.reason });
          } else {
            result[stored.outcome]++;
            await deps.runStatus.recordItem(job.runId, connector.id, 'fetch', stored.key, stored.outcome, { path: stored.path });
          }
        }),
      ),
    );
    cursor = page.nextCursor;
    if (!cursor) return result;
    if (now().getTime() >= deadline) return { ...result, cursor };
  }
}

function defaultArchiver(connector: ConnectorSettings): ArchiverClient {
  if (connector.password === undefined || !connector.archiverUrl || !connector.username) {
    throw new Error(`connector ${connector.id} has no archiver sign-in: ${connector.unavailable ?? 'not set'}`);
  }
  return new ArchiverClient({ baseUrl: connector.archiverUrl, username: connector.username, password: connector.password });
}
