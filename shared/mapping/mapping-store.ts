/**
 * A connector's custom mapping, replaced atomically: an upload writes its rows under a new version,
 * then switches the connector's pointer to it in one entity update, then removes the old rows.
 * Readers follow the pointer, so they see the old mapping or the new one, never a mix; rows removed
 * from the file stop mapping. An upload that failed or was killed half-way leaves rows of a version
 * no pointer names: the next upload removes every version older than its own. That is safe because
 * the pointer only ever moves forward (a conditional update that refuses an older version), so an
 * older upload still writing can never become current once a newer one has.
 *   PK <connector>              RK "current"                    -> { version, rows, uploadedAt, source }
 *   PK <connector>__<version>   RK <e164>__<n>                  -> { number, mailbox, validFrom, validTo }
 */
import { randomBytes } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { MappingRow } from './mapping-csv';
import { findEntity } from '../storage/tables';
import { hasStatus } from '../http/http-error';

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
    const pk = `${connectorId}__${version}`;
    const actions: TransactionAction[] = rows.map((r, i) => [
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
    // Entity group transactions take at most 100 entities of one partition.
    try {
      for (let i = 0; i < actions.length; i += 100) await this.table.submitTransaction(actions.slice(i, i + 100));
    } catch (err) {
      // Best effort; if this fails too (or the process dies), the next upload removes them.
      await this.deleteVersion(connectorId, version).catch(() => undefined);
      throw err;
    }
    const info: MappingInfo = { version, rows: rows.length, uploadedAt: this.now().toISOString(), source: source.slice(0, 500) };
    await this.movePointer(connectorId, info);
    this.cache.delete(connectorId);
    await this.deleteVersionsBefore(connectorId, version);
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
      queryOptions: { filter: odata`PartitionKey eq ${`${connectorId}__${info.version}`}`, select: ['number', 'mailbox', 'validFrom', 'validTo'] },
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
      const rows = this.table.listEntities<{ number: string } & MappingEntry>({
        queryOptions: { filter: odata`PartitionKey eq ${`${connectorId}__${info.version}`}` },
      });
      for await (const r of rows) entries.set(r.number, [...(entries.get(r.number) ?? []), { mailbox: r.mailbox, validFrom: r.validFrom, validTo: r.validTo }]);
    }
    this.cache.set(connectorId, { at: Date.now(), version: info?.version, entries });
    return entries;
  }

  private deleteVersion(connectorId: string, version: string): Promise<void> {
    return this.deleteRows(odata`PartitionKey eq ${`${connectorId}__${version}`}`);
  }

  /**
   * Removes every version older than `version`: replaced ones and orphans of failed uploads. Version
   * names sort by the time they were made, so one range query finds them all and stops before
   * `version`: the current rows are never read.
   */
  private deleteVersionsBefore(connectorId: string, version: string): Promise<void> {
    const prefix = `${connectorId}__`;
    return this.deleteRows(odata`PartitionKey gt ${prefix} and PartitionKey lt ${`${prefix}${version}`}`);
  }

  private async deleteRows(filter: string): Promise<void> {
    const byPartition = new Map<string, string[]>();
    for await (const r of this.table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      const pk = r.partitionKey as string;
      const keys = byPartition.get(pk) ?? [];
      if (keys.length === 0) byPartition.set(pk, keys);
      keys.push(r.rowKey as string);
    }
    // Entity group transactions take at most 100 entities of one partition.
    for (const [pk, keys] of byPartition) {
      for (let i = 0; i < keys.length; i += 100) {
        await this.table.submitTransaction(keys.slice(i, i + 100).map((rk) => ['delete', { partitionKey: pk, rowKey: rk }] as TransactionAction));
      }
    }
  }
}

/** A newer upload for the same connector became current while this one was being written. */
export class MappingSupersededError extends Error {
  constructor(connectorId: string, newer: string) {
    super(`mapping upload for ${connectorId} superseded by version ${newer}, uploaded after it; this upload was not applied`);
    this.name = 'MappingSupersededError';
  }
}
