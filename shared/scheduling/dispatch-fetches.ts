/**
 * One scheduler run: for each enabled connector, claim the next window and send exactly one fetch
 * job for it. The order (claim, send, mark dispatched) means a crash at any point loses nothing:
 * a claimed-but-unsent window is sent again by the next run, a sent one is guarded by its lease.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config/config';
import type { FetchJob } from '../jobs/fetch-job';
import { sendJsonMessage } from '../storage/queue-messages';
import type { RunStatusStore } from '../runs/run-status';
import { CheckpointConflictError, type CheckpointStore } from '../windows/checkpoints';
import { planWindow } from './plan-window';
import type { Window } from '../windows/window';
import { countConnectorUnavailable } from '../telemetry/metrics';

export interface DispatchOutcome {
  connectorId: string;
  outcome: 'dispatched' | 'redispatched' | 'in-flight' | 'nothing-new' | 'conflict' | 'unavailable';
  runId: string;
  window?: Window;
}

export interface DispatchDeps {
  settings: Pick<Config, 'connectors' | 'fetch'>;
  checkpoints: CheckpointStore;
  runStatus: RunStatusStore;
  fetchQueue: QueueClient;
  now: Date;
  runId: string;
  log?: (message: string) => void;
  /** Errors an operator must act on (Application Insights severity Error in Azure). */
  error?: (message: string) => void;
}

export async function dispatchFetches(deps: DispatchDeps): Promise<DispatchOutcome[]> {
  const { settings, checkpoints, runStatus, now, runId } = deps;
  const log = deps.log ?? (() => undefined);
  const error = deps.error ?? log;
  await runStatus.startRun(runId, now, 'schedule');
  const outcomes: DispatchOutcome[] = [];
  for (const connector of settings.connectors.filter((c) => c.enabled)) {
    if (connector.unavailable) {
      // Nothing is claimed: the watermark stays, and the first run after the fix fetches the gap.
      const message = `connector ${connector.id} is unavailable: ${connector.unavailable}`;
      await runStatus.setConnectorState(runId, connector.id, 'failed', { message });
      countConnectorUnavailable(connector.id);
      error(message);
      outcomes.push({ connectorId: connector.id, outcome: 'unavailable', runId });
      continue;
    }
    const checkpoint = await checkpoints.read(connector.id);
    const plan = planWindow({
      checkpoint,
      now,
      safetyLagMinutes: connector.safetyLagMinutes,
      initialLookbackHours: settings.fetch.initialLookbackHours,
      startFrom: connector.startFrom,
    });
    const leaseUntil = new Date(now.getTime() + settings.fetch.leaseMinutes * 60_000);

    if (plan.action === 'skip') {
      const state = plan.reason === 'in-flight' ? 'in-flight-elsewhere' : 'nothing-new';
      await runStatus.setConnectorState(runId, connector.id, state, { windowFrom: plan.window?.from, windowTo: plan.window?.to });
      log(`connector ${connector.id}: ${plan.reason === 'in-flight' ? 'a window is still in flight, not dispatching' : 'no new time to fetch yet'}`);
      outcomes.push({ connectorId: connector.id, outcome: plan.reason, runId, window: plan.window });
      continue;
    }

    // A redispatch keeps the original run id, so the checkpoint and the job still match.
    const jobRunId = plan.action === 'redispatch' ? plan.runId : runId;
    // Claim (or re-claim a stale claim) under the ETag read above: of racing schedulers one wins.
    let claimed;
    try {
      claimed = await checkpoints.claim(connector.id, checkpoint, { ...plan.window, runId: jobRunId, state: 'claimed', claimedAt: now, leaseUntil });
    } catch (err) {
      if (!(err instanceof CheckpointConflictError)) throw err;
      log(`connector ${connector.id}: another scheduler claimed the window first`);
      outcomes.push({ connectorId: connector.id, outcome: 'conflict', runId });
      continue;
    }
    const job: FetchJob = {
      version: 1,
      runId: jobRunId,
      connectorId: connector.id,
      window: { from: plan.window.from.toISOString(), to: plan.window.to.toISOString() },
      part: 0,
    };
    // A redispatched window belongs to its original run; make sure that run is in the index too.
    if (jobRunId !== runId) await runStatus.startRun(jobRunId, now, 'schedule');
    await runStatus.setConnectorState(jobRunId, connector.id, 'dispatched', { windowFrom: plan.window.from, windowTo: plan.window.to });
    await sendJsonMessage(deps.fetchQueue, job);
    try {
      await checkpoints.markDispatched(claimed, leaseUntil);
    } catch (err) {
      // The fetcher may already have completed the window; the job is sent either way.
      if (!(err instanceof CheckpointConflictError)) throw err;
    }
    log(`connector ${connector.id}: dispatched window ${job.window.from} .. ${job.window.to} (run ${jobRunId})`);
    outcomes.push({ connectorId: connector.id, outcome: plan.action === 'dispatch' ? 'dispatched' : 'redispatched', runId: jobRunId, window: plan.window });
  }
  return outcomes;
}
