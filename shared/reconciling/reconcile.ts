/**
 * The reconciliation sweep: finds items a lost event or job left behind and queues them again.
 *
 * In Azure the converter hears of a raw item only through Event Grid, which gives up on an event
 * after its retry policy (24 h at most): after a longer outage a raw item is never converted, and
 * nothing else would notice. An import job can be lost too (moved to a poison queue, or a converter
 * crash in an unlucky place). The sweep reads what each recent run recorded (run status) and finds:
 * - raw items the fetcher wrote that have no convert outcome: queued on convert-jobs;
 * - converted items that have no import outcome: their import job is sent again.
 * Only items whose last step is older than RECONCILE_MIN_AGE_MINUTES count, so items still on their
 * way are left alone; each queueing is recorded (stage "reconcile") and counted in the run report
 * and the metrics, and an item queued RECONCILE_MAX_ATTEMPTS times without result counts as failed.
 * A run in which every item has an outcome, and for which no blob event can still arrive, is marked
 * settled and not read again. The sweep also measures the poison queues.
 *
 * Queueing again is safe: the converter writes its .eml once (If-None-Match) and the importer's
 * ledger and look-up make a second import job harmless.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config/config';
import type { StorageClients } from '../storage/clients';
import { devHost, queues } from '../storage/names';
import { hasStatus } from '../http/http-error';
import { sendJsonMessage } from '../storage/queue-messages';
import type { RunStatusStore, ItemRow } from '../runs/run-status';
import type { ConvertJob } from '../jobs/convert-job';
import type { ImportJob } from '../jobs/import-job';
import { emlPathOf } from '../items/paths';
import { countReconciled, recordPoisonMessages } from '../telemetry/metrics';

/** Event Grid's longest event time-to-live: after it, no blob event of a run can still arrive. */
const EVENT_TTL_MS = 24 * 3600_000;

/** Poison queues an operator must look at: the app's, and the Functions host's blob-trigger one. */
export const POISON_QUEUES = [queues.fetchJobsPoison, queues.convertJobsPoison, queues.importJobsPoison, devHost.blobTriggerPoison] as const;

export interface ReconcileDeps {
  settings: Pick<Config, 'reconcile'>;
  storage: StorageClients;
  runStatus: RunStatusStore;
  convertQueue: QueueClient;
  importQueue: QueueClient;
  now: Date;
  log?: (message: string) => void;
}

export interface ReconcileResult {
  runsSwept: number;
  /** Per connector, how many stranded items were queued again for each stage. */
  requeued: Record<string, { convert: number; import: number }>;
  /** Items queued RECONCILE_MAX_ATTEMPTS times without an outcome, now counted as failed. */
  gaveUp: number;
  /** More stranded items than RECONCILE_MAX_ITEMS: the next sweep goes on. */
  more: boolean;
  poison: Record<string, number>;
}

interface Stranded {
  connectorId: string;
  itemId: string;
  rawPath: string;
  stage: 'convert' | 'import';
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const log = deps.log ?? (() => undefined);
  const { minAgeMinutes, lookbackHours, maxItems, maxAttempts } = deps.settings.reconcile;
  const result: ReconcileResult = { runsSwept: 0, requeued: {}, gaveUp: 0, more: false, poison: {} };
  const oldEnough = deps.now.getTime() - minAgeMinutes * 60_000;
  const runs = await deps.runStatus.runIndex(new Date(deps.now.getTime() - lookbackHours * 3600_000));

  let budget = maxItems;
  for (const run of runs.filter((r) => !r.settledAt)) {
    if (budget <= 0) {
      result.more = true;
      break;
    }
    result.runsSwept++;
    const { stranded, waiting, attempts } = await findStranded(deps.runStatus, run.runId, oldEnough);
    // Items still without an outcome after this sweep (given-up ones have theirs: failed).
    let open = waiting;
    for (const s of stranded) {
      if (budget <= 0) {
        result.more = true;
        open++;
        continue;
      }
      const key = `${s.stage}:${s.itemId}`;
      const tried = attempts.get(`${s.connectorId}|${key}`) ?? 0;
      if (tried >= maxAttempts) {
        if (tried === maxAttempts) {
          const reason = `stranded before ${s.stage} after ${tried} re-queue(s) by the reconciliation sweep; see the ${s.stage === 'convert' ? queues.convertJobsPoison : queues.importJobsPoison} queue and the host log`;
          await deps.runStatus.recordItem(run.runId, s.connectorId, 'reconcile', key, 'failed', { reason, attempts: tried + 1 });
          result.gaveUp++;
          log(`run ${run.runId}: ${s.connectorId} item ${s.itemId} ${reason}`);
        }
        continue;
      }
      if (s.stage === 'convert') {
        await sendJsonMessage(deps.convertQueue, { version: 1, connectorId: s.connectorId, rawPath: s.rawPath } satisfies ConvertJob);
      } else {
        const job: ImportJob = {
          version: 1,
          runId: run.runId,
          connectorId: s.connectorId,
          itemId: s.itemId,
          emlPath: emlPathOf(s.rawPath),
          attempt: 0,
        };
        await sendJsonMessage(deps.importQueue, job);
      }
      await deps.runStatus.recordItem(run.runId, s.connectorId, 'reconcile', key, 'requeued', { attempts: tried + 1 });
      open++;
      const counts = (result.requeued[s.connectorId] ??= { convert: 0, import: 0 });
      counts[s.stage]++;
      budget--;
    }
    if (open === 0 && deps.now.getTime() - run.startedAt.getTime() > EVENT_TTL_MS + minAgeMinutes * 60_000) {
      await deps.runStatus.markSettled(run.runId, deps.now);
    }
  }

  for (const [connectorId, counts] of Object.entries(result.requeued)) {
    countReconciled(connectorId, 'convert', counts.convert);
    countReconciled(connectorId, 'import', counts.import);
    log(`${connectorId}: queued ${counts.convert} stranded raw item(s) for conversion and ${counts.import} converted item(s) for import again`);
  }
  result.poison = await poisonDepths(deps.storage);
  for (const [queue, messages] of Object.entries(result.poison)) recordPoisonMessages(queue, messages);
  return result;
}

/** How many messages each poison queue holds (0 for one not created yet). */
export async function poisonDepths(storage: StorageClients): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const queue of POISON_QUEUES) out[queue] = await approximateCount(storage.queue.getQueueClient(queue));
  return out;
}

/**
 * What a run's rows say is missing. `waiting` counts items missing a step but too young to count
 * as stranded; `attempts` is how often the sweep already queued each item (by connector|stage:item).
 */
async function findStranded(runStatus: RunStatusStore, runId: string, oldEnough: number) {
  const written = new Map<string, ItemRow>();
  const converted = new Map<string, ItemRow>();
  const convertOutcome = new Set<string>();
  const importOutcome = new Set<string>();
  const attempts = new Map<string, number>();
  for await (const row of runStatus.itemRows(runId)) {
    const id = `${row.connectorId}|${row.key}`;
    if (row.stage === 'fetch' && row.outcome === 'written' && row.path) written.set(id, row);
    else if (row.stage === 'convert') {
      convertOutcome.add(id);
      if (row.outcome === 'converted' && row.path) converted.set(id, row);
    } else if (row.stage === 'import') {
      // Copies are keyed "<item>@<mailbox>", unmapped items "<item>": any of them is an outcome.
      importOutcome.add(id);
      for (let at = row.key.indexOf('@'); at >= 0; at = row.key.indexOf('@', at + 1)) importOutcome.add(`${row.connectorId}|${row.key.slice(0, at)}`);
    } else if (row.stage === 'reconcile') {
      attempts.set(id, row.outcome === 'failed' ? Number.MAX_SAFE_INTEGER : (row.attempts ?? 1));
    }
  }
  const stranded: Stranded[] = [];
  let waiting = 0;
  const consider = (row: ItemRow, stage: Stranded['stage']) => {
    if (row.updatedAt.getTime() > oldEnough) waiting++;
    else stranded.push({ connectorId: row.connectorId, itemId: row.key, rawPath: row.path!, stage });
  };
  for (const [id, row] of written) {
    // A raw item the converter could not read is dead-lettered under its path instead of its id.
    if (!convertOutcome.has(id) && !convertOutcome.has(`${row.connectorId}|${row.path}`)) consider(row, 'convert');
  }
  for (const [id, row] of converted) if (!importOutcome.has(id)) consider(row, 'import');
  return { stranded, waiting, attempts };
}

async function approximateCount(queue: QueueClient): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (err) {
    if (hasStatus(err, 404)) return 0;
    throw err;
  }
}
