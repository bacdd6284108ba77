/**
 * Imports one converted item into every mapped participant's mailbox, exactly once per mailbox:
 * - the ledger says whether a copy is complete;
 * - without a ledger row, Graph is asked by the item's de-duplication property (or Message-ID in
 *   importMime mode) before anything is created, so a crash between create and ledger write does not
 *   give a second copy;
 * - a create whose outcome is unknown (5xx, dropped connection) is looked up before it is repeated;
 * - attachments are reconciled against what the message has before the copy counts as complete.
 * Mailboxes are independent: one failing copy retries (and finally is dead-lettered with its reason)
 * while the others succeed. A long Retry-After re-queues the job with that delay.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config/config';
import type { ConnectorSettings } from '../config/connector-settings';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { sendJsonMessage } from '../storage/queue-messages';
import type { ImportJob } from '../jobs/import-job';
import type { RunStatusStore } from '../runs/run-status';
import type { DeadLetterStore } from '../runs/dead-letters';
import { itemOfMessage } from '../items/message-contract';
import type { MailboxApi } from '../graph/mailbox-api';
import { describeFailure, failureOf, outcomeUnknown } from '../http/http-error';
import { throttleDelaySeconds } from '../http/retry-decision';
import type { MappingStore } from '../mapping/mapping-store';
import { readItemMessage, type ItemMessage } from '../mime/read-message';
import type { GraphCache } from './graph-cache';
import type { ImportLedger } from './ledger';
import { attachmentsOf, DEDUP_PROPERTY_ID, dedupValue, messagePayload } from './message-payload';
import { resolveMailboxes, type TargetMailbox } from './resolve-mailboxes';
import { countBytesImported, forConnector } from '../telemetry/metrics';
import type { UnmappedStore } from './unmapped';

/** Must equal host.json extensions.queues.maxDequeueCount (a test keeps them equal). */
export const IMPORT_MAX_DEQUEUE = 5;
/** Throttling re-queues are not failures, but not endless either. */
const MAX_REQUEUES = 50;
/** importMime sends the whole message base64 in one request, which must stay under 4 MB. */
const IMPORT_MIME_MAX_BYTES = 2_900_000;

export interface ImportDeps {
  settings: Pick<Config, 'connectors' | 'mapping' | 'import'>;
  storage: StorageClients;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  importQueue: QueueClient;
  mapping: MappingStore;
  graphCache: GraphCache;
  ledger: ImportLedger;
  unmapped: UnmappedStore;
  mailboxApi: MailboxApi;
  log?: (message: string) => void;
}

export type CopyOutcome = 'imported' | 'duplicate';

export interface ImportResult {
  status: 'imported' | 'unmapped' | 'requeued' | 'partial';
  copies: { upn: string; outcome: CopyOutcome | 'failed'; reason?: string }[];
  unmapped: { number: string; reason: string }[];
}

export function importItem(job: ImportJob, deps: ImportDeps, delivery: { dequeueCount: number }): Promise<ImportResult> {
  return forConnector(job.connectorId, () => importItemFor(job, deps, delivery));
}

async function importItemFor(job: ImportJob, deps: ImportDeps, delivery: { dequeueCount: number }): Promise<ImportResult> {
  const log = deps.log ?? (() => undefined);
  const connector = deps.settings.connectors.find((c) => c.id === job.connectorId);
  if (!connector) throw new Error(`import job for connector "${job.connectorId}", which is not configured`);

  // The converted message is all the importer reads: it names the participants and the item's time.
  const eml = await deps.storage.blob.getContainerClient(containers.mime).getBlobClient(job.emlPath).downloadToBuffer();
  const message = await readItemMessage(eml);
  const item = itemOfMessage(message);
  const resolution = await resolveMailboxes(item.participants, item.at, connector, {
    mapping: deps.mapping,
    cache: deps.graphCache,
    api: deps.mailboxApi,
    defaultRegion: deps.settings.mapping.defaultRegion,
  });

  if (resolution.mailboxes.length === 0) {
    const reasons = resolution.unmapped.map((u) => `${u.number}: ${u.reason}`);
    await deps.unmapped.record(
      job,
      resolution.unmapped.map((u) => u.number),
      reasons,
    );
    await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', job.itemId, 'unmapped', { reason: reasons.join(' | ') });
    log(`item ${job.itemId} of ${job.connectorId} maps to no mailbox; kept for re-drive`);
    return { status: 'unmapped', copies: [], unmapped: resolution.unmapped };
  }

  // Built once per item (it base64-encodes the attachments), shared by every mailbox copy.
  const built = deps.settings.import.mode === 'json' || eml.length > IMPORT_MIME_MAX_BYTES ? messagePayload(message, job.connectorId, job.itemId) : undefined;
  const settled = await Promise.allSettled(resolution.mailboxes.map((mb) => importCopy(mb, connector, job, message, eml, built, deps)));
  const copies: ImportResult['copies'] = [];
  let throttledFor = 0;
  const throttled: TargetMailbox[] = [];
  const failures: { mb: TargetMailbox; reason: string }[] = [];
  settled.forEach((s, i) => {
    const mb = resolution.mailboxes[i];
    if (s.status === 'fulfilled') copies.push({ upn: mb.upn, outcome: s.value });
    else {
      const wait = throttleDelaySeconds(s.reason, deps.settings.import.maxRetryAfterSeconds);
      if (wait === undefined) failures.push({ mb, reason: describeFailure(s.reason) });
      else {
        throttled.push(mb);
        throttledFor = Math.max(throttledFor, wait);
      }
    }
  });
  for (const c of copies) {
    await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', `${job.itemId}@${c.upn}`, c.outcome);
    if (c.outcome === 'imported') countBytesImported(job.connectorId, eml.length);
  }

  if (throttled.length > 0 && job.attempt < MAX_REQUEUES) {
    // Waiting minutes inside an invocation wastes it; the queue waits for us. Done copies are in the ledger.
    const delay = Math.min(Math.max(1, throttledFor), 7 * 24 * 3600);
    await sendJsonMessage(deps.importQueue, { ...job, attempt: job.attempt + 1 } satisfies ImportJob, { visibilityDelaySeconds: delay });
    log(`item ${job.itemId}: Graph throttled ${throttled.length} mailbox copies for ${delay} s; re-queued with that delay`);
    return { status: 'requeued', copies, unmapped: resolution.unmapped };
  }
  failures.push(...throttled.map((mb) => ({ mb, reason: `still throttled after ${MAX_REQUEUES} re-queues` })));

  if (failures.length > 0) {
    if (delivery.dequeueCount < IMPORT_MAX_DEQUEUE) {
      // Let the queue retry; the copies that succeeded are in the ledger and are skipped next time.
      throw new Error(`import of ${job.itemId} failed for ${failures.map((f) => `${f.mb.upn}: ${f.reason}`).join('; ')}`);
    }
    for (const f of failures) {
      await deps.deadLetters.record({
        connectorId: job.connectorId,
        stage: 'import',
        key: `${job.itemId}@${f.mb.upn}`,
        reason: f.reason,
        input: `${containers.mime}/${job.emlPath}`,
        runId: job.runId,
      });
      await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', `${job.itemId}@${f.mb.upn}`, 'failed', { reason: f.reason });
      copies.push({ upn: f.mb.upn, outcome: 'failed', reason: f.reason });
    }
    return { status: 'partial', copies, unmapped: resolution.unmapped };
  }
  if (await deps.unmapped.remove(job.connectorId, job.itemId)) {
    // Re-driven after a mapping fix: the run no longer counts it as unmapped.
    await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', job.itemId, 'remapped');
  }
  return { status: 'imported', copies, unmapped: resolution.unmapped };
}

async function importCopy(
  mb: TargetMailbox,
  connector: ConnectorSettings,
  job: ImportJob,
  message: ItemMessage,
  eml: Buffer,
  built: ReturnType<typeof messagePayload> | undefined,
  deps: ImportDeps,
): Promise<CopyOutcome> {
  const api = deps.mailboxApi;
  const entry = await deps.ledger.get(mb.userId, job.connectorId, job.itemId);
  if (entry?.state === 'complete') return 'duplicate';
  const folderId = await deps.graphCache.folder(mb.userId, connector.folderName, () => api.ensureFolder(mb.userId, connector.folderName));
  const useMime = built === undefined;
  const lookup = () =>
    useMime
      ? api.findByInternetMessageId(mb.userId, folderId, message.internetMessageId)
      : api.findByExtendedProperty(mb.userId, folderId, DEDUP_PROPERTY_ID, dedupValue(job.connectorId, job.itemId));

  let messageId = entry?.messageId ?? (await lookup());
  const existed = messageId !== undefined;
  if (!messageId) {
    try {
      messageId = useMime ? await api.importMime(mb.userId, folderId, eml) : await api.createMessage(mb.userId, folderId, built.payload);
    } catch (err) {
      const { status, code } = failureOf(err);
      if (status === 404 && code === 'ErrorItemNotFound') {
        // The folder was deleted in the mailbox since we cached its id.
        await deps.graphCache.forgetFolder(mb.userId, connector.folderName);
        throw err;
      }
      if (!outcomeUnknown(err)) throw err;
      // The create may have happened: look before creating again.
      messageId = await lookup();
      if (!messageId) throw err;
    }
    await deps.ledger.put(mb.userId, job.connectorId, job.itemId, { messageId, folderId, state: 'created' });
  }
  if (built) {
    // Add what the message does not have yet (a create that carried them, or a crashed earlier attempt, may have added some).
    const { deferred } = built;
    const wanted = existed ? attachmentsOf(message) : deferred;
    if (wanted.length > 0) {
      const present = existed || deferred.length > 0 ? await api.listAttachments(mb.userId, messageId) : [];
      const remaining = [...present];
      for (const a of wanted) {
        const at = remaining.findIndex((p) => p.name === a.name && p.size === a.content.length);
        if (at >= 0) remaining.splice(at, 1);
        else await api.addAttachment(mb.userId, messageId, a);
      }
    }
  }
  await deps.ledger.put(mb.userId, job.connectorId, job.itemId, { messageId, folderId, state: 'complete' });
  return 'imported';
}
