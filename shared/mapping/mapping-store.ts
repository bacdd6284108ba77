/**
 * A connector's custom mapping, replaced atomically: an upload writes its rows under a new version,
 * then switches the connector's pointer to it in one entity update. Readers follow the pointer, so
 * they see the old mapping or the new one, never a mix; rows removed from the file stop mapping. The
 * replaced version, and any an upload that failed or was killed half-way left behind, are rows no
 * pointer names: the hourly reconciliation sweep removes every such version once it is an hour old
 * (removeOrphans), off the upload's path (deleting 100,000 rows took Azurite over three minutes).
 * That is safe because the pointer only ever moves forward (a conditional update that refuses an
 * older version), so an older upload still writing can never become current once a newer one has.
 * A version's rows are spread over SHARDS partitions and written by concurrent entity-group
 * transactions: one partition takes about 2,000 entities/s in Azure
 * (https://learn.microsoft.com/en-us/azure/storage/tables/storage-performance-checklist#partitions),
 * so a 100,000-row file in one partition could not be written in under a minute. The hourly
 * reconciliation sweep removes versions that a killed upload left behind and no pointer names.
 *   PK <connector>                      RK "current"        -> { version, rows, uploadedAt, source }
 *   PK <connector>__<version>__<shard>  RK <e164>__<n>      -> { number, mailbox, validFrom, validTo }
 * (Versions written before sharding have PK <connector>__<version>; the range queries cover both.)
 */
import { randomBytes } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { MappingRow } from './mapping-csv';
import { findEntity } from '../storage/tables';
import { hasStatus } from '../http/http-error';
import pLimit from 'p-limit';

export interface MappingEntry {
  mailbox: string;
  validFrom?: string;
  validTo?: string;
}

export interface MappingInfo {
  version: string;
  rows: number;
  uploadedAt: string;
  source: string;
}

const CURRENT = 'current';
const CACHE_MS = 60_000;
const SHARDS = 16;
/** Entity-group transactions in flight at once, per upload. */
const CONCURRENT_BATCHES = 16;
/** Entity group transactions take at most 100 entities of one partition. */
const BATCH = 100;

/** Every partition of a version, sharded or not: `<pk>` itself and `<pk>__<shard>` sort between `<pk>` and `<pk>~`. */
const versionRange = (connectorId: string, version: string) =>
  odata`PartitionKey ge ${`${connectorId}__${version}`} and PartitionKey lt ${`${connectorId}__${version}~`}`;

export class MappingStore {
  private readonly cache = new Map<string, { at: number; version?: string; entries: Map<string, MappingEntry[]> }>();

  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async info(connectorId: string): Promise<MappingInfo | undefined> {
    const e = await findEntity<MappingInfo>(this.table, connectorId, CURRENT);
    return e && { version: e.version, rows: e.rows, uploadedAt: e.uploadedAt, source: e.source };
  }

  async replace(connectorId: string, rows: MappingRow[], source: string): Promise<MappingInfo> {
    const version = `${this.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const byPartition = new Map<string, TransactionAction[]>();
    rows.forEach((r, i) => {
      const pk = `${connectorId}__${version}__${String(i % SHARDS).padStart(2, '0')}`;
      const actions = byPartition.get(pk) ?? [];
      if (actions.length === 0) byPartition.set(pk, actions);
      actions.push([
        'create',
        {
          partitionKey: pk,
          rowKey: `${r.number}__${String(i).padStart(6, '0')}`,
          number: r.number,
          mailbox: r.mailbox,
          validFrom: r.validFrom,
          validTo: r.validTo,
        },
      ]);
    });
    try {
      await this.submitBatches(byPartition);
    } catch (err) {
      // Best effort; if this fails too (or the process dies), the next upload or the hourly sweep removes them.
      await this.deleteVersion(connectorId, version).catch(() => undefined);
      throw err;
    }
    const info: MappingInfo = { version, rows: rows.length, uploadedAt: this.now().toISOString(), source: source.slice(0, 500) };
    await this.movePointer(connectorId, info);
    this.cache.delete(connectorId);
    return info;
  }

  /** Points the connector at `info.version`, unless a newer upload got there first (then ours is removed). */
  private async movePointer(connectorId: string, info: MappingInfo): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await findEntity<MappingInfo>(this.table, connectorId, CURRENT);
      if (current && current.version > info.version) {
        await this.deleteVersion(connectorId, info.version);
        throw new MappingSupersededError(connectorId, current.version);
      }
      try {
        if (current) await this.table.updateEntity({ partitionKey: connectorId, rowKey: CURRENT, ...info }, 'Replace', { etag: current.etag });
        else await this.table.createEntity({ partitionKey: connectorId, rowKey: CURRENT, ...info });
        return;
      } catch (err) {
        // Another upload moved the pointer between our read and our write: read it again.
        if (!hasStatus(err, 409) && !hasStatus(err, 412)) throw err;
      }
    }
    throw new Error(`mapping for ${connectorId}: the pointer kept changing under five attempts to move it`);
  }

  /** The mailbox a number maps to at a time, if any. */
  async lookup(connectorId: string, number: string, at: Date): Promise<string | undefined> {
    const entries = (await this.load(connectorId)).get(number) ?? [];
    const t = at.toISOString();
    return entries.find((e) => (!e.validFrom || e.validFrom <= t) && (!e.validTo || t < e.validTo))?.mailbox;
  }

  /** The rows of the mapping in force, as uploaded (for the operator's download). */
  async *rows(connectorId: string): AsyncIterable<Omit<MappingRow, 'line'>> {
    const info = await this.info(connectorId);
    if (!info) return;
    const rows = this.table.listEntities<MappingRow>({
      queryOptions: { filter: versionRange(connectorId, info.version), select: ['number', 'mailbox', 'validFrom', 'validTo'] },
    });
    for await (const r of rows) yield { number: r.number, mailbox: r.mailbox, validFrom: r.validFrom ?? undefined, validTo: r.validTo ?? undefined };
  }

  private async load(connectorId: string): Promise<Map<string, MappingEntry[]>> {
    const cached = this.cache.get(connectorId);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.entries;
    const info = await this.info(connectorId);
    if (cached && cached.version === info?.version) {
      cached.at = Date.now();
      return cached.entries;
    }
    const entries = new Map<string, MappingEntry[]>();
    if (info) {
      const rows = this.table.listEntities<{ number: string } & MappingEntry>({ queryOptions: { filter: versionRange(connectorId, info.version) } });
      for await (const r of rows) entries.set(r.number, [...(entries.get(r.number) ?? []), { mailbox: r.mailbox, validFrom: r.validFrom, validTo: r.validTo }]);
    }
    this.cache.set(connectorId, { at: Date.now(), version: info?.version, entries });
    return entries;
  }

  private deleteVersion(connectorId: string, version: string): Promise<number> {
    return this.deleteRows(versionRange(connectorId, version));
  }

  /**
   * Removes the rows of versions that are not current and were started before `before`: replaced
   * versions, and what an upload killed half-way (or one that lost to a newer one) left behind. An
   * upload still writing is younger than `before`. Version names sort by the time they were made,
   * so two range queries around the current version find them all and never read its rows.
   * Returns how many partitions were emptied.
   */
  async removeOrphans(connectorId: string, before: Date): Promise<number> {
    const current = (await this.info(connectorId))?.version;
    const prefix = `${connectorId}__`;
    const cutoff = `${prefix}${before.toISOString().replace(/[-:.]/g, '')}`;
    const ranges = current
      ? [
          odata`PartitionKey gt ${prefix} and PartitionKey lt ${`${prefix}${current}`}`,
          odata`PartitionKey ge ${`${prefix}${current}~`} and PartitionKey lt ${cutoff}`,
        ]
      : [odata`PartitionKey gt ${prefix} and PartitionKey lt ${cutoff}`];
    let removed = 0;
    for (const filter of ranges) removed += await this.deleteRows(filter);
    return removed;
  }

  /** Deletes every row the filter selects, in concurrent per-partition batches; returns how many partitions it touched. */
  private async deleteRows(filter: string): Promise<number> {
    const byPartition = new Map<string, TransactionAction[]>();
    for await (const r of this.table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      const pk = r.partitionKey as string;
      const actions = byPartition.get(pk) ?? [];
      if (actions.length === 0) byPartition.set(pk, actions);
      actions.push(['delete', { partitionKey: pk, rowKey: r.rowKey as string }]);
    }
    await this.submitBatches(byPartition);
    return byPartition.size;
  }

  /**
   * Sends each partition's actions in transactions of at most BATCH, CONCURRENT_BATCHES at a time.
   * After a failure no further batch starts, and the ones in flight are waited for before it is
   * thrown: a clean-up that follows then sees every row that was written.
   */
  private async submitBatches(byPartition: Map<string, TransactionAction[]>): Promise<void> {
    const limit = pLimit(CONCURRENT_BATCHES);
    const batches = [...byPartition.values()].flatMap((actions) =>
      Array.from({ length: Math.ceil(actions.length / BATCH) }, (_, i) => actions.slice(i * BATCH, (i + 1) * BATCH)),
    );
    let failure: { error: unknown } | undefined;
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          if (failure) return;
          try {
            await this.table.submitTransaction(batch);
          } catch (error) {
            failure ??= { error };
          }
        }),
      ),
    );
    if (failure) throw failure.error;
  }
}

/** A newer upload for the same connector became current while this one was being written. */
export class MappingSupersededError extends Error {
  constructor(connectorId: string, newer: string) {
    super(`mapping upload for ${connectorId} superseded by version ${newer}, uploaded after it; this upload was not applied`);
    this.name = 'MappingSupersededError';
  }
}
