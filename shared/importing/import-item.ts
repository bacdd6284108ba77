/**
 * Imports one converted item into every mapped participant's mailbox, exactly once per mailbox, at
 * one Graph request per copy when nothing goes wrong:
 * - the ledger is claimed with a conditional insert before the create, so a duplicated delivery
 *   waits instead of creating a second message; Graph is asked whether the message exists only when
 *   a claim was left without a completion (a crash, a 503 or a dropped connection after the create);
 * - attachments carry an identity of ours (their content id), so a retry adds only the missing ones;
 * - a participant Exchange will not let us into (outside the app's RBAC scope, no mailbox) is
 *   unmapped with the reason; the other copies go ahead;
 * - a copy over the mailbox's message size limit, or written with a strategy the self-test found
 *   broken, is dead-lettered at once with a reason that says what to do; attachments the tenant will
 *   not take on a non-draft message are left out with a note (a partial copy), never silently.
 * Mailboxes are independent: one failing copy retries (and finally is dead-lettered with its reason)
 * while the others succeed. A long Retry-After re-queues the job with that delay.
 */
import { createHash, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config/config';
import type { ConnectorSettings } from '../config/connector-settings';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { sendJsonMessage } from '../storage/queue-messages';
import type { ImportJob } from '../jobs/import-job';
import type { RunStatusStore } from '../runs/run-status';
import type { DeadLetterStore } from '../runs/dead-letters';
import { NamedError, namedReason } from '../text/named-outcome';
import { itemOfMessage } from '../items/message-contract';
import { mailboxRefusal, refusalReason, SMALL_ATTACHMENT_LIMIT, type MailboxApi } from '../graph/mailbox-api';
import { BUDGET_BUSY } from '../graph/mailbox-budget';
import { describeFailure, failureOf, outcomeUnknown } from '../http/http-error';
import { throttleDelaySeconds } from '../http/retry-decision';
import type { MappingStore } from '../mapping/mapping-store';
import { readItemMessage, readLargeItemMessage, type ItemMessage } from '../mime/read-message';
import type { GraphCache } from './graph-cache';
import { ClaimLostError, type Completion, type ImportLedger, type LedgerEntry } from './ledger';
import { attachmentsOf, DEDUP_PROPERTY_ID, dedupValue, itemClassOf, messagePayload, type BuiltPayload, type KeyedAttachment } from './message-payload';
import { resolveMailboxes, type TargetMailbox } from './resolve-mailboxes';
import { STRATEGIES, type Strategy, type StrategyStore } from './strategies';
import { countBytesImported, forConnector } from '../telemetry/metrics';
import { MAX_DEQUEUE, nextRetry } from '../runs/back-off';
import type { UnmappedStore } from './unmapped';

/** Throttling re-queues are not failures, but not endless either. */
const MAX_REQUEUES = 50;
/** importMime sends the whole message base64 in one request, which must stay under 4 MB. */
const IMPORT_MIME_MAX_BYTES = 2_900_000;
/** An .eml up to this size is read whole; a larger one is streamed (memory stays flat for a 150 MB recording). */
const HELD_EML_BYTES = 8 * 1024 * 1024;

/** A copy that no retry can fix: dead-lettered at once with a reason that says what to do. */
export class PermanentCopyError extends NamedError<'message-size-limit' | 'strategy-refused'> {}

/** Another delivery is making this copy now, or the copy must be made again soon: come back after a while. */
export class ComeBackLaterError extends Error {
  constructor(
    readonly afterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'ComeBackLaterError';
  }
}

/** Exchange will not let the app into the mailbox (scope changed, mailbox removed since it was confirmed). */
class MailboxRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface ImportDeps {
  settings: Pick<Config, 'connectors' | 'mapping' | 'import' | 'retry'>;
  storage: StorageClients;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  importQueue: QueueClient;
  mapping: MappingStore;
  graphCache: GraphCache;
  ledger: ImportLedger;
  unmapped: UnmappedStore;
  mailboxApi: MailboxApi;
  strategies: StrategyStore;
  log?: (message: string) => void;
}

export type CopyOutcome = 'imported' | 'duplicate' | 'partial';

export interface ImportResult {
  status: 'imported' | 'unmapped' | 'requeued' | 'partial';
  copies: { upn: string; outcome: CopyOutcome | 'failed'; reason?: string }[];
  unmapped: { number: string; reason: string }[];
}

export function importItem(job: ImportJob, deps: ImportDeps, delivery: { dequeueCount: number }): Promise<ImportResult> {
  return forConnector(job.connectorId, () => importItemFor(job, deps, delivery));
}

/** How the copies of one item are written, decided once per item from the settings and the self-test record. */
interface CopyPlan {
  mode: 'json' | 'importMime';
  built?: BuiltPayload;
  /** Set when the strategy this item needs was recorded as broken: every copy is refused with it. */
  refused?: string;
}

async function planCopies(job: ImportJob, message: ItemMessage, eml: ConvertedMessage, deps: ImportDeps): Promise<CopyPlan> {
  const recorded = await deps.strategies.all();
  const broken = (s: Strategy) => recorded.get(s)?.works === false;
  const refusal = (s: Strategy) => {
    const r = recorded.get(s)!;
    return `the ${s} import strategy failed the self-test on ${r.testedAt} (${r.detail}); fix the tenant (docs/importing.md) or change GRAPH_IMPORT_MODE, run the self-test again, then re-drive`;
  };
  const mode = deps.settings.import.mode === 'importMime' && eml.bytes && eml.size <= IMPORT_MIME_MAX_BYTES ? 'importMime' : 'json';
  if (mode === 'importMime') return broken(STRATEGIES.importMime) ? { mode, refused: refusal(STRATEGIES.importMime) } : { mode };
  if (broken(STRATEGIES.jsonCreate)) return { mode, refused: refusal(STRATEGIES.jsonCreate) };
  const cannotAdd = (a: KeyedAttachment) => broken(attachmentStrategy(a));
  const built = messagePayload(message, {
    connectorId: job.connectorId,
    itemId: job.itemId,
    itemClass: itemClassOf(deps.settings.import.itemClass, message),
    cannotAdd,
    archivedAt: deps.storage.blob.getContainerClient(containers.mime).getBlobClient(job.emlPath).url,
  });
  return { mode, built };
}

interface Failure {
  key: string;
  upn?: string;
  reason: string;
  permanent: boolean;
}

async function importItemFor(job: ImportJob, deps: ImportDeps, delivery: { dequeueCount: number }): Promise<ImportResult> {
  const log = deps.log ?? (() => undefined);
  const connector = deps.settings.connectors.find((c) => c.id === job.connectorId);
  if (!connector) throw new Error(`import job for connector "${job.connectorId}", which is not configured`);

  // The converted message is all the importer reads: it names the participants and the item's time.
  const eml = await readConverted(job, deps.storage);
  const { message } = eml;
  const item = itemOfMessage(message);
  const resolution = await resolveMailboxes(item.participants, item.at, connector, {
    mapping: deps.mapping,
    cache: deps.graphCache,
    api: deps.mailboxApi,
    defaultRegion: deps.settings.mapping.defaultRegion,
  });
  const unmapped = [...resolution.unmapped];
  const failures: Failure[] = resolution.unresolved.map((u) => ({
    // Named by the mailbox being checked; before one is known, by a hash (stable across deliveries, no phone number in a key).
    key: `${job.itemId}@${u.address ?? `participant-${createHash('sha256').update(u.number).digest('hex').slice(0, 12)}`}`,
    upn: u.address,
    reason: `mailbox look-up failed: ${describeFailure(u.error)}`,
    permanent: false,
  }));

  if (resolution.mailboxes.length === 0 && failures.length === 0) return recordUnmapped(job, unmapped, deps, log);

  const plan = resolution.mailboxes.length > 0 ? await planCopies(job, message, eml, deps) : { mode: 'json' as const };
  // Every copy is claimed before anything is created: one transaction for the item's mailboxes.
  const holder = randomUUID();
  const claims = plan.refused
    ? new Map<string, LedgerEntry>()
    : await deps.ledger.claimAll(
        job.connectorId,
        job.itemId,
        resolution.mailboxes.map((mb) => mb.userId),
        holder,
      );
  const settled = await Promise.allSettled(
    resolution.mailboxes.map((mb) =>
      importCopy({ mb, connector, job, message, eml, plan, deps, ids: [mb.userId, job.connectorId, job.itemId] }, claims.get(mb.userId), holder),
    ),
  );
  // The copies made are completed together, in one transaction (each under its own claim's ETag).
  const completions = settled.flatMap((s) => (s.status === 'fulfilled' && s.value.completion ? [s.value.completion] : []));
  const completed =
    completions.length > 0
      ? await deps.ledger.updateAll(job.connectorId, job.itemId, completions).catch(async (err: unknown) => {
          // Hand the claims back so the next delivery looks in the mailboxes at once instead of waiting for the lease.
          await Promise.all(completions.map((c) => deps.ledger.release(c.userId, job.connectorId, job.itemId, c.entry)));
          throw err;
        })
      : new Map<string, LedgerEntry | ClaimLostError>();
  const copies: ImportResult['copies'] = [];
  let waitFor = 0;
  const waiting: TargetMailbox[] = [];
  settled.forEach((s, i) => {
    const mb = resolution.mailboxes[i];
    const lost = completed.get(mb.userId);
    if (s.status === 'fulfilled' && !(lost instanceof ClaimLostError)) return void copies.push({ upn: mb.upn, outcome: s.value.outcome });
    const err: unknown = s.status === 'fulfilled' ? lost : s.reason;
    if (err instanceof MailboxRefusedError) {
      // The cache said yes, Exchange now says no: this participant is unmapped, the others go ahead.
      void deps.graphCache.forgetMailbox(mb.address).catch(() => undefined);
      for (const number of mb.numbers) unmapped.push({ number, reason: err.reason });
      return;
    }
    const wait = err instanceof ComeBackLaterError ? err.afterSeconds : throttleDelaySeconds(err, deps.settings.import.maxRetryAfterSeconds);
    if (wait !== undefined) {
      waiting.push(mb);
      waitFor = Math.max(waitFor, wait);
      return;
    }
    const permanent = err instanceof PermanentCopyError;
    failures.push({
      key: `${job.itemId}@${mb.upn}`,
      upn: mb.upn,
      reason: permanent ? namedReason('copy-refused', err.message) : describeFailure(err),
      permanent,
    });
  });
  // The item's copies in one entity-group transaction (they share the run's partition).
  await deps.runStatus.recordItems(
    job.runId,
    copies.map((c) => ({ connectorId: job.connectorId, stage: 'import' as const, key: `${job.itemId}@${c.upn}`, outcome: c.outcome })),
  );
  for (const c of copies) if (c.outcome !== 'duplicate') countBytesImported(job.connectorId, eml.size);
  if (copies.length === 0 && waiting.length === 0 && failures.length === 0) return recordUnmapped(job, unmapped, deps, log);

  // Copies that cannot succeed by retrying are dead-lettered now, whatever else happens to the item.
  const permanent = failures.filter((f) => f.permanent);
  for (const f of permanent) copies.push(await deadLetterCopy(job, f, deps));
  const transient = failures.filter((f) => !f.permanent);

  if (waiting.length > 0 && job.attempt < MAX_REQUEUES) {
    // Waiting minutes inside an invocation wastes it; the queue waits for us. Done copies are in the ledger.
    const delay = Math.min(Math.max(1, waitFor), 7 * 24 * 3600);
    await sendJsonMessage(deps.importQueue, { ...job, attempt: job.attempt + 1 } satisfies ImportJob, { visibilityDelaySeconds: delay });
    log(`item ${job.itemId}: ${waiting.length} mailbox copies must wait (throttled or in progress elsewhere) ${delay} s; re-queued with that delay`);
    return { status: 'requeued', copies, unmapped };
  }
  transient.push(
    ...waiting.map((mb) => ({ key: `${job.itemId}@${mb.upn}`, upn: mb.upn, reason: `still throttled after ${MAX_REQUEUES} re-queues`, permanent: false })),
  );

  if (transient.length > 0) {
    const what = transient.map((f) => `${f.upn ?? f.key}: ${f.reason}`).join('; ');
    if (delivery.dequeueCount < MAX_DEQUEUE) {
      // Let the queue retry; the copies that succeeded are in the ledger and are skipped next time.
      throw new Error(`import of ${job.connectorId}/${job.itemId} failed for ${what}`);
    }
    // Past the host's quick retries: put the job back with a growing delay (an outage of hours leaves no gap).
    const { retries, failingSince, delay } = nextRetry(job, new Date(), deps.settings.retry.horizonSeconds);
    if (delay !== undefined) {
      await sendJsonMessage(deps.importQueue, { ...job, retries, failingSince } satisfies ImportJob, { visibilityDelaySeconds: delay });
      log(`item ${job.connectorId}/${job.itemId}: ${transient.length} mailbox copies failed (${what}); retry ${retries} in ${delay} s`);
      return { status: 'requeued', copies, unmapped };
    }
    const since = `failing since ${failingSince}, ${retries} retries (RETRY_HORIZON_MINUTES)`;
    for (const f of transient) copies.push(await deadLetterCopy(job, { ...f, reason: `import-failed: ${f.reason}; ${since}` }, deps));
  }
  if (permanent.length > 0 || transient.length > 0) return { status: 'partial', copies, unmapped };
  // Only a re-driven unmapped item can be on the unmapped list (a delete per import would nearly always 404).
  if (job.fromUnmapped && (await deps.unmapped.remove(job.connectorId, job.itemId))) {
    // Re-driven after a mapping fix: the run no longer counts it as unmapped.
    await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', job.itemId, 'remapped');
  }
  return { status: 'imported', copies, unmapped };
}

/** The converted message: parsed, its size, and its bytes when they are held. */
interface ConvertedMessage {
  message: ItemMessage;
  size: number;
  /** The .eml itself, up to HELD_EML_BYTES (importMime sends it as it is). */
  bytes?: Buffer;
}

/**
 * The .eml from the job (a small one travels in it) or from Blob. download() rather than
 * downloadToBuffer(), which asks for the blob's properties first: one request, not two. A larger
 * .eml is streamed, and its large attachments are read again from Blob when they are sent (under
 * If-Match, so the bytes are those measured), never held whole.
 */
async function readConverted(job: ImportJob, storage: StorageClients): Promise<ConvertedMessage> {
  if (job.eml !== undefined) {
    const bytes = Buffer.from(job.eml, 'base64');
    return { message: await readItemMessage(bytes), size: bytes.length, bytes };
  }
  const blob = storage.blob.getContainerClient(containers.mime).getBlobClient(job.emlPath);
  const download = await blob.download();
  const size = download.contentLength ?? 0;
  if (size <= HELD_EML_BYTES) {
    const bytes = await buffer(download.readableStreamBody!);
    return { message: await readItemMessage(bytes), size: bytes.length, bytes };
  }
  const again = async () => (await blob.download(0, undefined, { conditions: { ifMatch: download.etag } })).readableStreamBody as Readable;
  return { message: await readLargeItemMessage(download.readableStreamBody as Readable, again), size };
}

async function recordUnmapped(
  job: ImportJob,
  unmapped: { number: string; reason: string }[],
  deps: ImportDeps,
  log: (m: string) => void,
): Promise<ImportResult> {
  const reasons = unmapped.map((u) => `${u.number}: ${u.reason}`);
  await deps.unmapped.record(
    job,
    unmapped.map((u) => u.number),
    reasons,
  );
  await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', job.itemId, 'unmapped', { reason: reasons.join(' | ') });
  log(`item ${job.itemId} of ${job.connectorId} maps to no mailbox; kept for re-drive`);
  return { status: 'unmapped', copies: [], unmapped };
}

async function deadLetterCopy(job: ImportJob, f: Failure, deps: ImportDeps): Promise<ImportResult['copies'][number]> {
  await deps.deadLetters.record({
    connectorId: job.connectorId,
    stage: 'import',
    key: f.key,
    reason: f.reason,
    input: `${containers.mime}/${job.emlPath}`,
    runId: job.runId,
    itemId: job.itemId,
    ...(f.upn ? { mailbox: f.upn } : {}),
  });
  await deps.runStatus.recordItem(job.runId, job.connectorId, 'import', f.key, 'failed', { reason: f.reason });
  return { upn: f.upn ?? f.key, outcome: 'failed', reason: f.reason };
}

/** The tenant will not take an attachment on a message that is not a draft (strict service or the 2026-12-31 enforcement). */
function attachmentRefused(err: unknown): boolean {
  const { status, code } = failureOf(err);
  return (status === 400 && code === 'ErrorInvalidOperation') || (status === 403 && code === 'ErrorAccessDenied');
}

/** Which strategy adds this attachment to an existing message: a POST under 3 MB, an upload session above. */
function attachmentStrategy(a: KeyedAttachment): Strategy {
  return a.size >= SMALL_ATTACHMENT_LIMIT ? STRATEGIES.uploadSession : STRATEGIES.attachmentPost;
}

/** One mailbox copy of one item: what every step of writing it needs. */
interface Copy {
  mb: TargetMailbox;
  connector: ConnectorSettings;
  job: ImportJob;
  message: ItemMessage;
  eml: ConvertedMessage;
  plan: CopyPlan;
  deps: ImportDeps;
  /** The ledger key of the copy: mailbox, connector, item. */
  ids: readonly [string, string, string];
  /** Set once the create has been sent: from then on the message may exist, whatever the answer. */
  createSent?: boolean;
}

/** A copy written: its outcome, and the ledger completion to record (none for a duplicate). */
interface CopyDone {
  outcome: CopyOutcome;
  completion?: Completion;
}

async function importCopy(c: Copy, claim: LedgerEntry | undefined, holder: string): Promise<CopyDone> {
  const { ledger } = c.deps;

  if (c.plan.refused) {
    if ((await ledger.get(...c.ids))?.state === 'complete') return { outcome: 'duplicate' };
    throw new PermanentCopyError('strategy-refused', c.plan.refused);
  }
  if (!claim) throw new Error(`no ledger claim was made for the copy in ${c.mb.upn}`);

  // The claim came before anything is created (one transaction for the item's copies); only a
  // left-over claim makes us look in the mailbox.
  let entry = claim;
  if (entry.state === 'complete') return { outcome: 'duplicate' };
  let lookFirst = false;
  // A claim this delivery made, not one it took over from a delivery that may have created the message.
  const fresh = entry.holder === holder;
  if (!fresh) {
    if (ledger.heldByAnother(entry, holder)) {
      const left = Math.ceil((ledger.leaseMs - (Date.now() - Date.parse(entry.claimedAt))) / 1000);
      throw new ComeBackLaterError(Math.min(60, Math.max(1, left)), `copy for ${c.mb.upn} is being made by another delivery`);
    }
    const taken = await ledger.takeOver(...c.ids, entry, holder);
    if (!taken) throw new ComeBackLaterError(5, `copy for ${c.mb.upn} was taken over by another delivery`);
    entry = taken;
    lookFirst = entry.state === 'claimed';
  }

  try {
    return await writeCopy(c, entry, lookFirst);
  } catch (err) {
    // Hand the claim back so the next delivery need not wait for the lease; a lost claim is not ours to hand back.
    const latest = await ledger.get(...c.ids).catch(() => undefined);
    if (latest && latest.holder === holder) {
      // The mailbox budget refused before anything was sent for a copy this delivery claimed fresh:
      // the claim goes, so the next delivery claims afresh instead of asking Graph whether it exists.
      if (fresh && !c.createSent && latest.state === 'claimed' && failureOf(err).code === BUDGET_BUSY) await ledger.abandon(...c.ids, latest);
      else await ledger.release(...c.ids, latest);
    }
    const refusal = mailboxRefusal(err);
    if (refusal) throw new MailboxRefusedError(refusalReason(c.mb.address, refusal));
    throw err;
  }
}

async function writeCopy(c: Copy, claim: LedgerEntry, lookFirst: boolean): Promise<CopyDone> {
  const { mb, connector, job, message, plan, deps } = c;
  const api = deps.mailboxApi;
  let entry = claim;
  const folderId = entry.folderId ?? (await deps.graphCache.folder(mb.userId, connector.folderName, () => api.ensureFolder(mb.userId, connector.folderName)));
  const useMime = plan.mode === 'importMime';
  const lookup = () =>
    useMime
      ? api.findByInternetMessageId(mb.userId, folderId, message.internetMessageId)
      : api.findByExtendedProperty(mb.userId, folderId, DEDUP_PROPERTY_ID, dedupValue(job.connectorId, job.itemId));

  let messageId = entry.messageId ?? (lookFirst ? await lookup() : undefined);
  const existed = messageId !== undefined;
  if (!messageId) {
    try {
      c.createSent = true;
      messageId = useMime ? await api.importMime(mb.userId, folderId, c.eml.bytes!) : await api.createMessage(mb.userId, folderId, plan.built!.payload);
    } catch (err) {
      const { status, code } = failureOf(err);
      // The mailbox budget refuses before a request goes out: this create was not sent.
      if (code === BUDGET_BUSY) c.createSent = false;
      if (status === 404 && code === 'ErrorItemNotFound') {
        // The folder was deleted in the mailbox since we cached its id.
        await deps.graphCache.forgetFolder(mb.userId, connector.folderName);
        throw err;
      }
      if (!outcomeUnknown(err)) throw sizeLimitError(c, err) ?? err;
      // The create may have happened: look before creating again.
      messageId = await lookup();
      if (!messageId) throw err;
    }
    // Recorded only when attachments follow; with none, "complete" comes next (a crash in between
    // leaves the claim, and whoever takes it over looks in the mailbox first).
    if (plan.built && plan.built.deferred.length > 0) entry = await deps.ledger.update(...c.ids, entry, { state: 'created', messageId, folderId });
  }

  const built = plan.built;
  if (built) {
    // After a fresh create only the deferred attachments are missing; after anything else, ask the message.
    const wanted = existed ? attachmentsOf(message).filter((a) => !built.omitted.some((o) => o.index === a.index)) : built.deferred;
    const todo = existed ? await missing(api, mb.userId, messageId, wanted) : wanted;
    for (const a of todo) {
      try {
        await api.addAttachment(mb.userId, messageId, a);
      } catch (err) {
        if (attachmentRefused(err)) await fallBackToNote(c, messageId, a, err, entry);
        // An upload whose answer was lost is found by its content id on the next attempt.
        throw sizeLimitError(c, err) ?? err;
      }
    }
  }
  return {
    outcome: built && built.omitted.length > 0 ? 'partial' : 'imported',
    completion: { userId: mb.userId, entry, change: { state: 'complete', messageId, folderId, holder: '' } },
  };
}

/** Exchange's answer to a message over the mailbox's MaxReceiveSize/MaxSendSize, as the permanent failure it is. */
function sizeLimitError(c: Copy, err: unknown): PermanentCopyError | undefined {
  if (failureOf(err).code !== 'ErrorMessageSizeExceeded') return undefined;
  const mbytes = (c.eml.size / (1024 * 1024)).toFixed(1);
  return new PermanentCopyError(
    'message-size-limit',
    `the copy for ${c.mb.upn} is ${mbytes} MB with its ${c.message.attachments.length} attachment(s), over that mailbox's message size limit ` +
      `(35 MB unless raised). An Exchange admin can raise MaxReceiveSize and MaxSendSize of the archived mailboxes up to 150 MB ` +
      `(docs/deploy.md, "Message size limit"), then re-drive this item; the message is in the mailbox with the attachments that fitted`,
  );
}

/** The wanted attachments the message does not have, by content id (each counted: two equal parts are two). */
async function missing(api: MailboxApi, userId: string, messageId: string, wanted: KeyedAttachment[]): Promise<KeyedAttachment[]> {
  const present = (await api.listAttachments(userId, messageId)).map((a) => a.contentId?.replace(/^<|>$/g, '') ?? '');
  return wanted.filter((a) => {
    const at = present.indexOf(a.contentId);
    if (at < 0) return true;
    present.splice(at, 1);
    return false;
  });
}

/**
 * The tenant refused an attachment on the non-draft copy and no self-test had said so: record the
 * strategy as broken (every later item then carries a note instead), remove this copy (a non-draft
 * message cannot be given the note afterwards), and make it again soon with the note.
 */
async function fallBackToNote(c: Copy, messageId: string, a: KeyedAttachment, err: unknown, entry: LedgerEntry): Promise<never> {
  const { mb, job, deps } = c;
  const strategy = attachmentStrategy(a);
  await deps.strategies.record([
    { strategy, works: false, detail: `refused during import: ${describeFailure(err)}`, mailbox: mb.upn, testedAt: new Date().toISOString(), source: 'import' },
  ]);
  await deps.mailboxApi.deleteMessage(mb.userId, messageId);
  await deps.ledger.update(...c.ids, entry, { state: 'claimed', messageId: undefined, holder: '' });
  (deps.log ?? (() => undefined))(`item ${job.itemId}: the tenant refuses ${strategy} on non-draft messages; the copy is made again with a note`);
  throw new ComeBackLaterError(1, `${strategy} refused on a non-draft message in ${mb.upn}; copy re-made with a note`);
}
