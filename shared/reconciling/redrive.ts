/**
 * Re-drive of what a stage left behind, by connector and optionally by run or item:
 * - unmapped: items that mapped to no mailbox, queued for import again (after a mapping fix).
 * - failed: the dead letters of the convert and import stages become a convert job (the raw item)
 *   or one import job per item (the importer's ledger keeps copies that already landed from being
 *   written twice). The dead letter is removed only if it is still the one that was read (ETag), so
 *   a new failure recorded meanwhile stays. Fetch-stage dead letters are vendor input that was
 *   refused (quarantined lines, ZIPs, e-mails): they are counted, not queued; the source is fixed instead.
 * - poisoned: messages in the poison queues go back to the queue they came from (a blob trigger's,
 *   to the convert queue); the poison copy is deleted only after the new one is sent.
 */
import type { StorageClients } from '../storage/clients';
import { containers, devHost, POISON_SUFFIX, queues, tables } from '../storage/names';
import { decodeQueueMessage, sendJsonMessage } from '../storage/queue-messages';
import { DeadLetterStore, type StoredDeadLetter } from '../runs/dead-letters';
import { importItemId, RunStatusStore } from '../runs/run-status';
import type { UnmappedStore } from '../importing/unmapped';
import type { ImportJob } from '../jobs/import-job';
import type { ConvertJob } from '../jobs/convert-job';
import { POISON_QUEUES } from './reconcile';

export interface RedriveFilter {
  connectorId: string;
  runId?: string;
  itemId?: string;
}

export interface RedriveResult {
  /** Jobs sent, by queue. */
  queued: Record<string, number>;
  /** What was found but cannot be re-driven from here, with why. */
  left: { key: string; reason: string }[];
}

/** Queues every unmapped item of a connector for import again; returns how many. */
export async function redriveUnmapped(connectorId: string, unmapped: UnmappedStore, send: (job: ImportJob) => Promise<void>): Promise<number> {
  const items = await unmapped.list(connectorId);
  for (const item of items) await send({ ...item.job, attempt: 0, fromUnmapped: true });
  return items.length;
}

const NO_REDRIVE_FETCH = 'fetch-stage input the archiver sent that was refused: kept in quarantine; fix the source and fetch again';

/** Re-drives the convert and import dead letters that match the filter. */
export async function redriveFailed(storage: StorageClients, filter: RedriveFilter): Promise<RedriveResult> {
  const deadLetters = new DeadLetterStore(storage.table(tables.deadLetters));
  const runStatus = new RunStatusStore(storage.table(tables.runStatus));
  // The run's row of a re-driven item no longer reads failed: the item waits for its new outcome.
  // (A copy that failed at the mailbox look-up is keyed by the address looked up; the copy that lands
  // is keyed by the mailbox's UPN, so its row would not replace the failed one.)
  const requeued = (letter: StoredDeadLetter) =>
    runStatus.recordItem(letter.runId, letter.connectorId, letter.stage, letter.key, 'requeued', {
      reason: `re-driven ${new Date().toISOString()} after: ${letter.reason}`,
    });
  const result: RedriveResult = { queued: {}, left: [] };
  const importJobs = new Map<string, { job: ImportJob; letters: StoredDeadLetter[] }>();
  for (const letter of await deadLetters.list(filter.connectorId)) {
    if (filter.runId && letter.runId !== filter.runId) continue;
    const itemId = letter.itemId ?? importItemId(letter.key);
    if (filter.itemId && itemId !== filter.itemId) continue;
    if (letter.stage === 'import') {
      const emlPath = stripContainer(letter.input, containers.mime);
      if (!emlPath) {
        result.left.push({ key: letter.key, reason: `its input ${letter.input} is not a converted message` });
        continue;
      }
      const entry = importJobs.get(itemId) ?? {
        job: { version: 1, runId: letter.runId, connectorId: letter.connectorId, itemId, emlPath, attempt: 0 },
        letters: [],
      };
      entry.letters.push(letter);
      importJobs.set(itemId, entry);
    } else if (letter.stage === 'convert') {
      const rawPath = stripContainer(letter.input, containers.rawItems);
      if (!rawPath) {
        result.left.push({ key: letter.key, reason: `its input ${letter.input} is not a raw item` });
        continue;
      }
      await requeued(letter);
      await sendJsonMessage(storage.queue.getQueueClient(queues.convertJobs), { version: 1, connectorId: letter.connectorId, rawPath } satisfies ConvertJob);
      count(result, queues.convertJobs);
      await deadLetters.removeIfUnchanged(letter);
    } else {
      result.left.push({ key: letter.key, reason: letter.stage === 'fetch' ? NO_REDRIVE_FETCH : `a ${letter.stage} dead letter` });
    }
  }
  for (const { job, letters } of importJobs.values()) {
    // Marked before the job goes out: the outcome the job records must not be overwritten by the mark.
    for (const letter of letters) await requeued(letter);
    await sendJsonMessage(storage.queue.getQueueClient(queues.importJobs), job);
    count(result, queues.importJobs);
    for (const letter of letters) await deadLetters.removeIfUnchanged(letter);
  }
  return result;
}

/** Upper bound of poison messages looked at in one call (32 are received at a time). */
const MAX_POISON_SCAN = 100_000;

/** Moves the poison-queue messages of the connector (and run or item) back to their queues. */
export async function redrivePoisoned(storage: StorageClients, filter: RedriveFilter): Promise<RedriveResult> {
  const result: RedriveResult = { queued: {}, left: [] };
  for (const poisonName of POISON_QUEUES) {
    const poison = storage.queue.getQueueClient(poisonName);
    if (!(await poison.exists())) continue;
    const total = (await poison.getProperties()).approximateMessagesCount ?? 0;
    const others: { messageId: string; popReceipt: string }[] = [];
    let seen = 0;
    // Messages that are not for this filter stay invisible until the scan ends, so each is seen once.
    while (seen < Math.min(total, MAX_POISON_SCAN)) {
      const batch = (await poison.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 })).receivedMessageItems;
      if (batch.length === 0) break;
      seen += batch.length;
      for (const m of batch) {
        const target = redriveTarget(poisonName, m.messageText);
        if (!target || !matches(target.body, filter)) {
          if (!target) result.left.push({ key: `${poisonName}/${m.messageId}`, reason: 'not a message of this app: left in the poison queue' });
          others.push(m);
          continue;
        }
        await sendJsonMessage(storage.queue.getQueueClient(target.queue), target.body);
        count(result, target.queue);
        await poison.deleteMessage(m.messageId, m.popReceipt);
      }
    }
    for (const m of others) await poison.updateMessage(m.messageId, m.popReceipt, undefined, 0).catch(() => undefined);
  }
  return result;
}

/** Where a poisoned message goes back to, and as what; undefined when it is not one of ours. */
export function redriveTarget(poisonQueue: string, text: string): { queue: string; body: Record<string, unknown> } | undefined {
  let body: unknown;
  try {
    body = decodeQueueMessage(text);
  } catch {
    try {
      body = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const m = body as Record<string, unknown>;
  if (poisonQueue === devHost.blobTriggerPoison) {
    const container = m.ContainerName ?? m.container;
    const blobName = m.BlobName ?? m.blobName;
    if (container !== containers.rawItems || typeof blobName !== 'string') return undefined;
    const convert: ConvertJob = { version: 1, connectorId: blobName.split('/')[0], rawPath: blobName };
    return { queue: queues.convertJobs, body: convert };
  }
  if (typeof m.connectorId !== 'string') return undefined;
  // A job that poisoned starts its retries afresh.
  const { retries: _retries, failingSince: _since, ...fresh } = m;
  return { queue: poisonQueue.slice(0, -POISON_SUFFIX.length), body: 'attempt' in m ? { ...fresh, attempt: 0 } : fresh };
}

function matches(body: Record<string, unknown>, filter: RedriveFilter): boolean {
  if (body.connectorId !== filter.connectorId) return false;
  if (filter.runId && body.runId !== filter.runId) return false;
  if (filter.itemId && body.itemId !== filter.itemId && !(typeof body.rawPath === 'string' && body.rawPath.includes(filter.itemId))) return false;
  return true;
}

function stripContainer(input: string, container: string): string | undefined {
  return input.startsWith(`${container}/`) ? input.slice(container.length + 1) : undefined;
}

function count(result: RedriveResult, queue: string): void {
  result.queued[queue] = (result.queued[queue] ?? 0) + 1;
}
