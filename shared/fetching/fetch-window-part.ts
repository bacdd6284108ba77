/**
 * One fetch job part: page through the run's window from the job's cursor, store every item,
 * and either complete the window (the watermark moves) or, when the part's time is up, hand the
 * rest to a continuation job. Safe to run again: items already stored are not written twice, and
 * only one execution of a part may send its continuation.
 */
import { namedReason } from '../text/named-outcome';
import type { FetchJob } from '../jobs/fetch-job';
import { sendJsonMessage } from '../storage/queue-messages';
import { ArchiverProtocolError, ArchiverRequestError, ArchiverSignInError } from '../archiver/errors';
import { fetchJournalPart, JournalMailboxError } from './journal-mailbox';
import { sweepLanding } from './sweep-landing';
import { fetchArchiverPart } from './archiver-window';
import type { FetchDeps, FetchPartResult, SourcePart } from './fetch-types';
import { countWindowCompleted } from '../telemetry/metrics';
import { describeFailure } from '../http/http-error';
import { permanentClientError } from '../http/retry-decision';
import { MAX_DEQUEUE, nextRetry } from '../runs/back-off';

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
  const giveBack = async (message: string, status: 'sign-in-failed' | 'unavailable' | 'stopped' | 'dead-lettered'): Promise<FetchPartResult> => {
    await deps.runStatus.setConnectorState(job.runId, connector.id, 'failed', { windowFrom: window.from, windowTo: window.to, message });
    await deps.checkpoints.release(connector.id, job.runId);
    log(`${connector.id}: ${message}`);
    return { ...result, status, message };
  };
  // Dispatched before its secret went missing.
  if (connector.unavailable) return giveBack(`connector-unavailable: connector ${connector.id}: ${connector.unavailable}`, 'unavailable');
  const deadline = now().getTime() + deps.settings.fetch.partSeconds * 1000;
  await deps.runStatus.setConnectorState(job.runId, connector.id, 'fetching', { windowFrom: window.from, windowTo: window.to });

  let part: SourcePart;
  // Where the part got to, so a retry after a failure starts from the last page read.
  const progress = { cursor: job.cursor, pages: 0 };
  try {
    part =
      connector.source === 'smtp-mailbox'
        ? await fetchJournalPart(job, connector, needs(deps, 'mailboxApi', 'deadLetters'), deadline)
        : connector.source === 'sftp-zip'
          ? await sweepLanding(job, connector, needs(deps, 'landing', 'deliveries', 'deadLetters'), deadline)
          : await fetchArchiverPart(job, connector, window, needs(deps, 'deadLetters'), deadline, progress);
  } catch (err) {
    // A refused sign-in, retried, may also lock the account; a journal mailbox the app cannot read needs an admin.
    if (err instanceof ArchiverSignInError || err instanceof JournalMailboxError) return giveBack(namedReason('sign-in-failed', err.message), 'sign-in-failed');
    // An answer outside the archiver's interface, or a request it rejects as such, will not change by asking again.
    if (err instanceof ArchiverProtocolError) return giveBack(namedReason('archiver-protocol', err.message), 'stopped');
    if (err instanceof ArchiverRequestError && permanentClientError(err)) return giveBack(namedReason('archiver-refused', err.message), 'stopped');
    // The host's quick retries first (a blip), then our growing delays (an outage).
    if ((deps.dequeueCount ?? 1) < MAX_DEQUEUE) throw err;
    return retryLater(job, progress, err, deps, giveBack);
  }
  const counts = { pages: part.pages, written: part.written, present: part.present, quarantined: part.quarantined };
  if (part.stopped) return { ...counts, ...(await giveBack(part.stopped.message, 'stopped')) };

  if (part.cursor !== undefined) {
    const leaseUntil = new Date(now().getTime() + deps.settings.fetch.leaseMinutes * 60_000);
    if (await deps.checkpoints.advancePart(connector.id, job.runId, job.part, leaseUntil)) {
      const next: FetchJob = { ...job, cursor: part.cursor, part: job.part + 1, pages: (job.pages ?? 0) + part.pages, retries: 0, failingSince: undefined };
      await sendJsonMessage(deps.fetchQueue, next);
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

/**
 * A failure that may pass (an outage, throttling beyond the client's retries, a timeout): the part
 * is put back on the queue from the last page it read, after a delay that grows with each retry,
 * until RETRY_HORIZON_MINUTES after the first failure; then the window is given back with the reason
 * (the watermark stays, the next run fetches it) and the job is dead-lettered. Only the execution
 * that moves the checkpoint on sends the retry, so a duplicated delivery sends no second chain.
 */
async function retryLater(
  job: FetchJob,
  progress: { cursor?: string; pages: number },
  err: unknown,
  deps: FetchDeps,
  giveBack: (message: string, status: 'dead-lettered') => Promise<FetchPartResult>,
): Promise<FetchPartResult> {
  const now = (deps.now ?? (() => new Date()))();
  const reason = describeFailure(err);
  const { retries, failingSince, delay } = nextRetry(job, now, deps.settings.retry.horizonSeconds);
  const counts = { pages: progress.pages, written: 0, present: 0, quarantined: 0 };
  if (delay === undefined) {
    const hours = (now.getTime() - Date.parse(failingSince)) / 3_600_000;
    const message = `fetch-failed: part ${job.part} kept failing for ${hours.toFixed(1)} h (${retries} attempts; RETRY_HORIZON_MINUTES): ${reason}`;
    await deps.deadLetters?.record({
      connectorId: job.connectorId,
      stage: 'fetch',
      key: `window-${job.window.from}`,
      reason: message,
      input: `fetch-job:${JSON.stringify({ ...job, cursor: progress.cursor, retries: 0, failingSince: undefined })}`,
      runId: job.runId,
    });
    return { ...counts, ...(await giveBack(message, 'dead-lettered')) };
  }
  const leaseUntil = new Date(now.getTime() + (delay + deps.settings.fetch.leaseMinutes * 60) * 1000);
  if (await deps.checkpoints.advancePart(job.connectorId, job.runId, job.part, leaseUntil)) {
    const retry: FetchJob = {
      ...job,
      cursor: progress.cursor,
      part: job.part + 1,
      pages: (job.pages ?? 0) + progress.pages,
      retries,
      failingSince,
    };
    await sendJsonMessage(deps.fetchQueue, retry, { visibilityDelaySeconds: delay });
    await deps.runStatus.setConnectorState(job.runId, job.connectorId, 'retrying', {
      windowFrom: new Date(job.window.from),
      windowTo: new Date(job.window.to),
      message: `retry ${retries} in ${delay} s: ${reason}`,
    });
    (deps.log ?? (() => undefined))(`${job.connectorId}: part ${job.part} failed (${reason}); retrying from its last page in ${delay} s`);
  }
  return { ...counts, status: 'retrying' };
}
