/**
 * What an operator asks of the app, answered from storage: each connector's status with its last
 * and next run, the runs with their counts, every item's outcome per stage and mailbox (searchable),
 * what mapped to nobody and what failed, with reasons. The admin API, the status page and the
 * command-line tool all read through here, so they can never disagree.
 */
import type { StorageClients } from '../storage/clients';
import type { Config } from '../config/config';
import {
  importItemId,
  importMailbox,
  type ConnectorDisplayState,
  type ConnectorRunCounts,
  type ItemOutcome,
  type RunStatusStore,
  type Stage,
} from '../runs/run-status';
import type { UnmappedStore } from '../importing/unmapped';
import type { DeadLetterStore } from '../runs/dead-letters';
import type { MappingStore } from '../mapping/mapping-store';
import { nextOccurrence } from '../config/ncrontab';
import { toE164 } from '../mapping/phone';
import { poisonDepths } from '../reconciling/reconcile';

/** What the views need of the settings: in Azure the command-line tool knows only the connectors' ids. */
export interface OperatorSettings {
  /** Absent where the schedule is not known (the command-line tool against Azure). */
  schedule?: string;
  connectors: readonly { id: string; source: string }[];
  mapping: { defaultRegion: Config['mapping']['defaultRegion'] };
}

export interface OperatorStores {
  settings: OperatorSettings;
  storage: StorageClients;
  runStatus: RunStatusStore;
  unmapped: UnmappedStore;
  deadLetters: DeadLetterStore;
  mapping: MappingStore;
}

export interface RunCounts extends ConnectorRunCounts {
  connectorId: string;
  state: ConnectorDisplayState;
  windowFrom?: string;
  windowTo?: string;
  message?: string;
}

export interface RunView {
  runId: string;
  startedAt?: string;
  connectors: RunCounts[];
}

export interface ConnectorStatus {
  connectorId: string;
  source: string;
  /** The state of its last run, or `never-run`. */
  state: ConnectorDisplayState | 'never-run';
  lastRun?: { runId: string; startedAt?: string } & RunCounts;
  nextRunAt?: string;
  /** Items waiting for a mailbox (re-drive after fixing the mapping). */
  unmapped: number;
  /** Items a stage gave up on (dead letters; re-drive with `--failed`). */
  failed: number;
}

/** How far back the views look unless asked otherwise: the admin log's retention. */
export function defaultSince(retentionDays: number, now: Date): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

/** Runs since `since`, newest first, at most `limit`, each with its per-connector counts. */
export async function listRuns(runStatus: RunStatusStore, since: Date, limit = 50): Promise<RunView[]> {
  const index = (await runStatus.runIndex(since)).reverse().slice(0, limit);
  const out: RunView[] = [];
  for (const r of index) {
    const summary = await runStatus.summarize(r.runId);
    out.push({ runId: r.runId, startedAt: summary?.startedAt ?? r.startedAt.toISOString(), connectors: summary?.connectors ?? [] });
  }
  return out;
}

/** Each connector's status: its last run that did something, found by reading runs newest first and stopping once every connector has one. */
export async function connectorStatuses(stores: OperatorStores, now: Date, since: Date): Promise<ConnectorStatus[]> {
  const nextRunAt = stores.settings.schedule ? nextOccurrence(stores.settings.schedule, now).toISOString() : undefined;
  // A run that found the connector busy or up to date, or only dispatched it, says less than the run that did the work.
  const quiet = (s: string) => s === 'in-flight-elsewhere' || s === 'nothing-new' || s === 'dispatched';
  const last = new Map<string, NonNullable<ConnectorStatus['lastRun']>>();
  const wanted = new Set(stores.settings.connectors.map((c) => c.id));
  for (const r of (await stores.runStatus.runIndex(since)).reverse()) {
    if ([...wanted].every((id) => last.has(id) && !quiet(last.get(id)!.state))) break;
    const summary = await stores.runStatus.summarize(r.runId);
    for (const c of summary?.connectors ?? []) {
      const seen = last.get(c.connectorId);
      if (!seen || (quiet(seen.state) && !quiet(c.state))) last.set(c.connectorId, { runId: r.runId, startedAt: summary?.startedAt, ...c });
    }
  }
  const out: ConnectorStatus[] = [];
  for (const c of stores.settings.connectors) {
    const run = last.get(c.id);
    out.push({
      connectorId: c.id,
      source: c.source,
      state: run?.state ?? 'never-run',
      lastRun: run,
      nextRunAt,
      unmapped: (await stores.unmapped.list(c.id)).length,
      failed: (await stores.deadLetters.list(c.id)).length,
    });
  }
  return out;
}

/** One row of the per-item log: an item at a stage, or one mailbox copy of it. */
export interface ItemRecord {
  runId: string;
  connectorId: string;
  stage: Stage;
  itemId: string;
  mailbox?: string;
  outcome: ItemOutcome;
  reason?: string;
  recordedAt: string;
}

export interface ItemQuery {
  runId?: string;
  connectorId?: string;
  outcome?: ItemOutcome;
  /** A participant's phone number: its mapped mailbox's copies, and unmapped items naming it. */
  number?: string;
  mailbox?: string;
  since: Date;
  limit: number;
}

/** Items matching every given filter, newest run first; `truncated` when `limit` stopped the search. */
export async function findItems(stores: OperatorStores, q: ItemQuery): Promise<{ items: ItemRecord[]; truncated: boolean }> {
  const runIds = q.runId ? [q.runId] : (await stores.runStatus.runsActiveSince(q.since)).reverse();
  const byNumber = q.number ? await numberFilter(stores, q.number, q.connectorId) : undefined;
  const mailbox = q.mailbox?.toLowerCase();
  const items: ItemRecord[] = [];
  for (const runId of runIds) {
    for await (const row of stores.runStatus.itemRows(runId)) {
      if (q.connectorId && row.connectorId !== q.connectorId) continue;
      if (q.outcome && row.outcome !== q.outcome) continue;
      const record = toRecord(runId, row);
      if (mailbox && record.mailbox?.toLowerCase() !== mailbox) continue;
      if (byNumber && !byNumber(record)) continue;
      if (items.length === q.limit) return { items, truncated: true };
      items.push(record);
    }
  }
  return { items, truncated: false };
}

/** Every row of one run for one connector: the admin log of that run. */
export async function runLog(runStatus: RunStatusStore, runId: string, connectorId?: string): Promise<ItemRecord[]> {
  const out: ItemRecord[] = [];
  for await (const row of runStatus.itemRows(runId)) if (!connectorId || row.connectorId === connectorId) out.push(toRecord(runId, row));
  return out.sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
}

function toRecord(runId: string, row: { connectorId: string; stage: Stage; key: string; outcome: ItemOutcome; reason?: string; updatedAt: Date }): ItemRecord {
  const copy = row.stage === 'import';
  return {
    runId,
    connectorId: row.connectorId,
    stage: row.stage,
    itemId: copy ? importItemId(row.key) : row.key,
    mailbox: copy ? importMailbox(row.key) : undefined,
    outcome: row.outcome,
    reason: row.reason,
    recordedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Item rows keep no phone numbers (personal data stays in the raw item), so a number is searched
 * through what the app decided with it: the mailbox the mapping gives it now, and the unmapped
 * items that name it.
 */
async function numberFilter(stores: OperatorStores, raw: string, connectorId?: string): Promise<(r: ItemRecord) => boolean> {
  const number = toE164(raw, stores.settings.mapping.defaultRegion) ?? raw;
  const mailboxes = new Set<string>();
  const unmapped = new Set<string>();
  for (const c of stores.settings.connectors.filter((x) => !connectorId || x.id === connectorId)) {
    const mailbox = await stores.mapping.lookup(c.id, number, new Date());
    if (mailbox) mailboxes.add(mailbox.toLowerCase());
    for (const u of await stores.unmapped.list(c.id)) if (u.numbers.includes(number)) unmapped.add(`${c.id}/${u.job.itemId}`);
  }
  return (r) => (r.mailbox !== undefined && mailboxes.has(r.mailbox.toLowerCase())) || unmapped.has(`${r.connectorId}/${r.itemId}`);
}

export interface UnmappedView {
  connectorId: string;
  itemId: string;
  runId: string;
  numbers: string[];
  reasons: string[];
  at: string;
}

export async function listUnmapped(stores: OperatorStores, connectorId?: string): Promise<UnmappedView[]> {
  const out: UnmappedView[] = [];
  for (const c of stores.settings.connectors.filter((x) => !connectorId || x.id === connectorId)) {
    for (const u of await stores.unmapped.list(c.id))
      out.push({ connectorId: c.id, itemId: u.job.itemId, runId: u.job.runId, numbers: u.numbers, reasons: u.reasons, at: u.at });
  }
  return out;
}

export interface FailureView {
  connectorId: string;
  stage: Stage;
  itemId?: string;
  mailbox?: string;
  key: string;
  runId: string;
  reason: string;
  at: string;
}

export interface PoisonView {
  queue: string;
  messages: number;
}

/** Dead letters (what a stage gave up on, with the reason) and the depth of every poison queue. */
export async function listFailures(stores: OperatorStores, connectorId?: string): Promise<{ failures: FailureView[]; poison: PoisonView[] }> {
  const failures: FailureView[] = [];
  for (const c of stores.settings.connectors.filter((x) => !connectorId || x.id === connectorId)) {
    for (const d of await stores.deadLetters.list(c.id))
      failures.push({
        connectorId: d.connectorId,
        stage: d.stage,
        itemId: d.itemId,
        mailbox: d.mailbox,
        key: d.key,
        runId: d.runId,
        reason: d.reason,
        at: d.at,
      });
  }
  const poison = Object.entries(await poisonDepths(stores.storage)).map(([queue, messages]) => ({ queue, messages }));
  return { failures, poison };
}
