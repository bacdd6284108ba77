/**
 * Run status: what each run did per connector, for the run report and for operators.
 *
 * Layout in the run status table:
 *   PK "runs",          RK <runId>                         one row per run (an index, newest last)
 *   PK <runId>,         RK "connector__<id>"               the connector's window and state in that run
 *   PK <runId>~<shard>, RK "item__<id>__<stage>__<key>"    one row per item and stage with its outcome
 *
 * A run's item rows are spread over ITEM_SHARDS partitions by item (every row of one item in the
 * same one, so an item's copies are recorded in one entity-group transaction). In one partition a
 * day of 500,000 items is 1.5 million rows written at the pace of the whole app, where Azure
 * targets about 2,000 entities/s per partition; and Azurite's cost per operation grows with the
 * partition. Runs written before the shards keep their items under PK <runId>; readers read both.
 * https://learn.microsoft.com/en-us/azure/storage/tables/storage-performance-checklist#partitions
 *
 * Item rows are upserts keyed by the item, so a retried message records the same row again
 * instead of counting twice: the counts in the report are idempotent by construction.
 */
import { createHash } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { percentEncode } from '../text/percent-encode';
import { deleteEntityIfExists, findEntity } from '../storage/tables';

export type ConnectorRunState = 'dispatched' | 'in-flight-elsewhere' | 'nothing-new' | 'fetching' | 'retrying' | 'fetched' | 'failed';

/** reconcile: the sweep queued a stranded item again (shared/reconciling/reconcile.ts). */
export type Stage = 'fetch' | 'convert' | 'import' | 'reconcile';

/**
 * fetched/written: a raw item stored; present: it was already stored (a retry);
 * imported: one mailbox copy; unmapped: no mailbox for the item; remapped: unmapped once, imported
 * after a re-drive (no longer counted as unmapped); failed: dead-lettered with a reason.
 */
export const ITEM_OUTCOMES = ['written', 'present', 'converted', 'imported', 'duplicate', 'partial', 'unmapped', 'remapped', 'failed', 'requeued'] as const;
export type ItemOutcome = (typeof ITEM_OUTCOMES)[number];

export interface ConnectorRunCounts {
  fetched: number;
  alreadyPresent: number;
  converted: number;
  /** Items with at least one copy in a mailbox (an item goes to every mapped participant). */
  itemsImported: number;
  /** Mailbox copies written, or found already there on a retry: one item is as many copies as it has mapped participants. */
  copies: number;
  /** Mailbox copies imported without some attachments (left out with a note; the whole message is in the archive). */
  partiallyImported: number;
  unmapped: number;
  failed: number;
  /** Stranded items (never converted, or converted and never imported) the sweep queued again. */
  reconciled: number;
}

/**
 * What the report shows: the stored state, except that a fetched window reads `converting` while
 * items it stored have no convert outcome, `importing` while items it converted have no import
 * outcome (copies, unmapped or failed), and `done` once every item has its outcome.
 */
export type ConnectorDisplayState = Exclude<ConnectorRunState, 'fetched'> | 'converting' | 'importing' | 'done';

export interface ConnectorRunSummary extends ConnectorRunCounts {
  connectorId: string;
  state: ConnectorDisplayState;
  windowFrom?: string;
  windowTo?: string;
  message?: string;
}

export interface RunIndexEntry {
  runId: string;
  startedAt: Date;
  /** Set by the reconciliation sweep once every item of the run has an outcome. */
  settledAt?: Date;
}

export interface ItemDetails {
  reason?: string;
  path?: string;
  attempts?: number;
}

export interface ItemRow {
  connectorId: string;
  stage: Stage;
  key: string;
  outcome: ItemOutcome;
  path?: string;
  attempts?: number;
  /** Why it failed or is unmapped. */
  reason?: string;
  /** When the row was last written (the table's Timestamp). */
  updatedAt: Date;
}

export interface RunSummary {
  runId: string;
  /** Absent when only item rows exist (e.g. items re-driven outside a scheduled run). */
  startedAt?: string;
  connectors: ConnectorRunSummary[];
}

const RUNS_PK = 'runs';
const ITEM_SHARDS = 16;
/** After a run id in an item partition's key; sorts after every character a run id has, so a run's shards are one key range. */
const SHARD_SEP = '~';

/** The partition of an item's rows in a run: by connector and item, so every stage and copy of the item shares it. */
function itemPartition(runId: string, connectorId: string, stage: Stage, key: string): string {
  const item = stage === 'import' ? importItemId(key) : key;
  const shard = createHash('sha256').update(`${connectorId}|${item}`).digest()[0] % ITEM_SHARDS;
  return `${runId}${SHARD_SEP}${shard.toString(16).padStart(2, '0')}`;
}

/** The run a partition key belongs to ("runs" for the index). */
function runOfPartition(partitionKey: string): string {
  const at = partitionKey.indexOf(SHARD_SEP);
  return at < 0 ? partitionKey : partitionKey.slice(0, at);
}
const connectorRowKey = (connectorId: string) => `connector__${connectorId}`;
const itemRowKey = (connectorId: string, stage: Stage, key: string) => `item__${connectorId}__${stage}__${percentEncode(key)}`;

/** One item outcome, for recordItems. */
export interface ItemRecord {
  connectorId: string;
  stage: Stage;
  key: string;
  outcome: ItemOutcome;
  details?: ItemDetails;
}

/** An entity-group transaction holds at most 100 operations. */
const MAX_BATCH = 100;

function itemColumns({ connectorId, stage, outcome, details = {} }: ItemRecord) {
  return { connectorId, stage, outcome, reason: details.reason?.slice(0, 2000), path: details.path, attempts: details.attempts };
}

/** Told of every item outcome as it is recorded (the app counts them as metrics, see app/services.ts). */
export type ItemOutcomeListener = (connectorId: string, stage: Stage, outcome: ItemOutcome) => void;

export class RunStatusStore {
  constructor(
    private readonly table: TableClient,
    private readonly onItem: ItemOutcomeListener = () => undefined,
  ) {}

  async startRun(runId: string, startedAt: Date, trigger: string): Promise<void> {
    await this.table.upsertEntity({ partitionKey: RUNS_PK, rowKey: runId, startedAt: startedAt.toISOString(), trigger }, 'Merge');
  }

  async setConnectorState(
    runId: string,
    connectorId: string,
    state: ConnectorRunState,
    details: { windowFrom?: Date; windowTo?: Date; message?: string } = {},
  ): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: runId,
        rowKey: connectorRowKey(connectorId),
        connectorId,
        state,
        windowFrom: details.windowFrom?.toISOString(),
        windowTo: details.windowTo?.toISOString(),
        // Messages are operator-facing reasons (sign-in failed, ...), never item content.
        message: details.message?.slice(0, 2000),
        updatedAt: new Date().toISOString(),
      },
      'Merge',
    );
  }

  /**
   * `reason`: why an item failed or is unmapped (never item content); `path`: its raw-items path, on
   * fetch and convert rows for the reconciliation sweep; `attempts`: how often the sweep queued it.
   */
  async recordItem(runId: string, connectorId: string, stage: Stage, key: string, outcome: ItemOutcome, details: ItemDetails = {}): Promise<void> {
    this.onItem(connectorId, stage, outcome);
    await this.table.upsertEntity(
      {
        partitionKey: itemPartition(runId, connectorId, stage, key),
        rowKey: itemRowKey(connectorId, stage, key),
        ...itemColumns({ connectorId, stage, key, outcome, details }),
      },
      'Replace',
    );
  }

  /**
   * Records many item outcomes of one run at once: an entity-group transaction per partition of the
   * run (up to 100 rows each), one request each instead of one per item. A key given twice keeps its
   * last outcome (a transaction may not touch a row twice).
   */
  async recordItems(runId: string, items: readonly ItemRecord[]): Promise<void> {
    const partitions = new Map<string, Map<string, ItemRecord>>();
    for (const item of items) {
      const pk = itemPartition(runId, item.connectorId, item.stage, item.key);
      const rows = partitions.get(pk) ?? new Map<string, ItemRecord>();
      partitions.set(pk, rows);
      rows.set(itemRowKey(item.connectorId, item.stage, item.key), item);
    }
    for (const [partitionKey, rows] of partitions) {
      const actions: TransactionAction[] = [...rows].map(([rowKey, item]) => {
        this.onItem(item.connectorId, item.stage, item.outcome);
        return ['upsert', { partitionKey, rowKey, ...itemColumns(item) }, 'Replace'];
      });
      for (let i = 0; i < actions.length; i += MAX_BATCH) await this.table.submitTransaction(actions.slice(i, i + MAX_BATCH));
    }
  }

  /** Every row of a run: its connector rows and legacy item rows (PK <runId>), then its item shards. */
  private async *runRows<T extends object>(
    runId: string,
    extraFilter = '',
    select?: string[],
  ): AsyncIterable<T & { partitionKey: string; rowKey: string; timestamp?: string }> {
    const filters = [odata`PartitionKey eq ${runId}`, odata`PartitionKey ge ${runId + SHARD_SEP} and PartitionKey lt ${runId + SHARD_SEP + SHARD_SEP}`];
    for (const filter of filters) {
      const rows = this.table.listEntities<T>({ queryOptions: { filter: `${filter}${extraFilter}`, ...(select ? { select } : {}) } });
      for await (const row of rows) yield row as T & { partitionKey: string; rowKey: string; timestamp?: string };
    }
  }

  /**
   * Runs that started at or after `since`, or had anything recorded since then (a window dispatched
   * before a restart and fetched after it, items re-driven long after their run), oldest first.
   */
  async runsActiveSince(since: Date): Promise<string[]> {
    const ids = new Set((await this.runIndex(since)).map((r) => r.runId));
    const rows = this.table.listEntities({ queryOptions: { filter: odata`Timestamp ge ${since}`, select: ['PartitionKey'] } });
    for await (const row of rows) if (row.partitionKey !== RUNS_PK) ids.add(runOfPartition(row.partitionKey as string));
    return [...ids].sort();
  }

  /** The recorded outcome of an item at a stage in a run, if any. */
  async itemOutcome(runId: string, connectorId: string, stage: Stage, key: string): Promise<ItemOutcome | undefined> {
    const rowKey = itemRowKey(connectorId, stage, key);
    const row =
      (await findEntity<{ outcome: ItemOutcome }>(this.table, itemPartition(runId, connectorId, stage, key), rowKey)) ??
      // A run recorded before its items were spread over partitions.
      (await findEntity<{ outcome: ItemOutcome }>(this.table, runId, rowKey));
    return row?.outcome;
  }

  /** Every item row of a run, for the reconciliation sweep: stage, decoded key, outcome, raw path, last write. */
  async *itemRows(runId: string): AsyncIterable<ItemRow> {
    const rows = this.runRows<{ connectorId: string; stage: Stage; outcome: ItemOutcome; path?: string; attempts?: number; reason?: string }>(
      runId,
      " and RowKey ge 'item__' and RowKey lt 'item_~'",
    );
    for await (const row of rows) {
      const rowKey = row.rowKey;
      const prefix = `item__${row.connectorId}__${row.stage}__`;
      if (!rowKey.startsWith(prefix)) continue;
      yield {
        connectorId: row.connectorId,
        stage: row.stage,
        key: decodeURIComponent(rowKey.slice(prefix.length)),
        outcome: row.outcome,
        path: row.path,
        attempts: row.attempts,
        reason: row.reason,
        updatedAt: new Date(row.timestamp as string),
      };
    }
  }

  /** Runs started at or after `since`, with when the reconciliation sweep found them settled, oldest first. */
  async runIndex(since: Date): Promise<RunIndexEntry[]> {
    const out: RunIndexEntry[] = [];
    const pages = this.table.listEntities<{ startedAt: string; settledAt?: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${RUNS_PK} and startedAt ge ${since.toISOString()}`, select: ['RowKey', 'startedAt', 'settledAt'] },
    });
    for await (const e of pages)
      out.push({ runId: e.rowKey as string, startedAt: new Date(e.startedAt), settledAt: e.settledAt ? new Date(e.settledAt) : undefined });
    return out.sort((a, b) => a.runId.localeCompare(b.runId));
  }

  /** Every item of the run has reached an outcome and no blob event for it can still arrive: later sweeps skip it. */
  async markSettled(runId: string, at: Date): Promise<void> {
    await this.table.upsertEntity({ partitionKey: RUNS_PK, rowKey: runId, settledAt: at.toISOString() }, 'Merge');
  }

  async summarize(runId: string): Promise<RunSummary | undefined> {
    const startedAt = (await findEntity<{ startedAt: string }>(this.table, RUNS_PK, runId))?.startedAt;
    const byConnector = new Map<string, ConnectorRunSummary>();
    const entry = (connectorId: string): ConnectorRunSummary => {
      let s = byConnector.get(connectorId);
      if (!s) {
        s = { connectorId, state: 'dispatched', ...emptyRunCounts() };
        byConnector.set(connectorId, s);
      }
      return s;
    };
    const items = new Map<string, ItemProgress>();
    for await (const row of this.runRows<Record<string, unknown>>(runId)) {
      const connectorId = String(row.connectorId);
      const s = entry(connectorId);
      if (String(row.rowKey).startsWith('connector__')) {
        s.state = row.state as ConnectorRunState as ConnectorDisplayState;
        s.windowFrom = row.windowFrom as string | undefined;
        s.windowTo = row.windowTo as string | undefined;
        s.message = row.message as string | undefined;
        continue;
      }
      const stage = row.stage as Stage;
      const outcome = row.outcome as ItemOutcome;
      countItem(s, stage, outcome);
      const progress = items.get(connectorId) ?? { converted: new Set(), convertFailed: 0, settled: new Set(), imported: new Set() };
      items.set(connectorId, progress);
      const key = decodeURIComponent(String(row.rowKey).slice(itemRowKey(connectorId, stage, '').length));
      trackItem(progress, stage, key, outcome);
    }
    if (startedAt === undefined && byConnector.size === 0) return undefined;
    for (const s of byConnector.values()) {
      const progress = items.get(s.connectorId);
      s.itemsImported = progress?.imported.size ?? 0;
      if ((s.state as ConnectorRunState) !== 'fetched') continue;
      const convertedOrFailed = (progress?.converted.size ?? 0) + (progress?.convertFailed ?? 0);
      if (convertedOrFailed < s.fetched) s.state = 'converting';
      else s.state = progress && [...progress.converted].some((id) => !progress.settled.has(id)) ? 'importing' : 'done';
    }
    return { runId, startedAt, connectors: [...byConnector.values()].sort((a, b) => a.connectorId.localeCompare(b.connectorId)) };
  }

  /**
   * Deletes the runs that started before `cutoff`, rows and index entry (the admin log's retention,
   * ADMIN_LOG_RETENTION_DAYS). A run's rows go in entity-group transactions of at most 100, one
   * partition each (https://learn.microsoft.com/en-us/rest/api/storageservices/performing-entity-group-transactions).
   * Returns the runs removed.
   */
  async purgeRunsStartedBefore(cutoff: Date, limit = 50): Promise<string[]> {
    const old: string[] = [];
    const index = this.table.listEntities<{ startedAt: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${RUNS_PK} and startedAt lt ${cutoff.toISOString()}`, select: ['RowKey'] },
    });
    for await (const e of index) {
      old.push(e.rowKey as string);
      if (old.length >= limit) break;
    }
    for (const runId of old) {
      const batches = new Map<string, TransactionAction[]>();
      for await (const r of this.runRows(runId, '', ['PartitionKey', 'RowKey'])) {
        const batch = batches.get(r.partitionKey) ?? [];
        batches.set(r.partitionKey, batch);
        batch.push(['delete', { partitionKey: r.partitionKey, rowKey: r.rowKey }]);
        if (batch.length === MAX_BATCH) await this.table.submitTransaction(batch.splice(0));
      }
      for (const batch of batches.values()) if (batch.length > 0) await this.table.submitTransaction(batch);
      await deleteEntityIfExists(this.table, RUNS_PK, runId);
    }
    return old;
  }
}

/** Per connector in one run: items converted, items with an import outcome, items with a copy in a mailbox. */
interface ItemProgress {
  converted: Set<string>;
  convertFailed: number;
  settled: Set<string>;
  imported: Set<string>;
}

/** Import rows are keyed `<item>@<mailbox>` for copies and `<item>` for unmapped and remapped items. */
function trackItem(p: ItemProgress, stage: Stage, key: string, outcome: ItemOutcome): void {
  if (stage === 'convert') {
    if (outcome === 'converted') p.converted.add(key);
    else if (outcome === 'failed') p.convertFailed++;
    return;
  }
  if (stage !== 'import') return;
  const itemId = importItemId(key);
  p.settled.add(itemId);
  if (outcome === 'imported' || outcome === 'duplicate' || outcome === 'partial' || outcome === 'remapped') p.imported.add(itemId);
}

/**
 * An import row's key is `<item>@<mailbox UPN>` for a copy (`<item>@participant-<hash>` in rows
 * written before the mailbox was kept) and `<item>` for an unmapped or remapped item. Item ids may
 * hold '@' themselves (a journalled message's id), so the mailbox is the trailing `local@domain`.
 */
const COPY_SUFFIX = /@(participant-[0-9a-f]{12}|[^@]+@[^@]+)$/;

export function importItemId(key: string): string {
  const at = key.search(COPY_SUFFIX);
  return at > 0 ? key.slice(0, at) : key;
}

/** The mailbox of an import row's key, if it names one. */
export function importMailbox(key: string): string | undefined {
  return COPY_SUFFIX.exec(key)?.[1];
}

/** Every count at zero: the one place that lists them. */
export function emptyRunCounts(): ConnectorRunCounts {
  return { fetched: 0, alreadyPresent: 0, converted: 0, itemsImported: 0, copies: 0, partiallyImported: 0, unmapped: 0, failed: 0, reconciled: 0 };
}

function countItem(s: ConnectorRunCounts, stage: Stage, outcome: ItemOutcome): void {
  if (outcome === 'failed') s.failed++;
  else if (stage === 'fetch' && outcome === 'written') s.fetched++;
  else if (stage === 'fetch' && outcome === 'present') s.alreadyPresent++;
  else if (stage === 'convert' && outcome === 'converted') s.converted++;
  else if (stage === 'import' && (outcome === 'imported' || outcome === 'duplicate')) s.copies++;
  else if (stage === 'import' && outcome === 'partial') {
    s.copies++;
    s.partiallyImported++;
  } else if (stage === 'import' && outcome === 'unmapped') s.unmapped++;
  else if (stage === 'reconcile' && outcome === 'requeued') s.reconciled++;
}
