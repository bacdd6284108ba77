/**
 * A connector's custom mapping, replaced atomically: an upload writes its rows under a new version,
 * then switches the connector's pointer to it in one entity update, then removes the old rows.
 * Readers follow the pointer, so they see the old mapping or the new one, never a mix; rows removed
 * from the file stop mapping.
 *   PK <connector>              RK "current"                    -> { version, rows, uploadedAt, source }
 *   PK <connector>__<version>   RK <e164>__<n>                  -> { number, mailbox, validFrom, validTo }
 */
import { randomBytes } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { MappingRow } from './mapping-csv';
import { findEntity } from '../storage/tables';

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

  constructor(private readonly table: TableClient) {}

  async info(connectorId: string): Promise<MappingInfo | undefined> {
    const e = await findEntity<MappingInfo>(this.table, connectorId, CURRENT);
    return e && { version: e.version, rows: e.rows, uploadedAt: e.uploadedAt, source: e.source };
  }

  async replace(connectorId: string, rows: MappingRow[], source: string): Promise<MappingInfo> {
    const previous = await this.info(connectorId);
    const version = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
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
    for (let i = 0; i < actions.length; i += 100) await this.table.submitTransaction(actions.slice(i, i + 100));
    const info: MappingInfo = { version, rows: rows.length, uploadedAt: new Date().toISOString(), source: source.slice(0, 500) };
    await this.table.upsertEntity({ partitionKey: connectorId, rowKey: CURRENT, ...info }, 'Replace');
    this.cache.delete(connectorId);
    if (previous) await this.deleteVersion(connectorId, previous.version);
    return info;
  }

  /** The mailbox a number maps to at a time, if any. */
  async lookup(connectorId: string, number: string, at: Date): Promise<string | undefined> {
    const entries = (await this.load(connectorId)).get(number) ?? [];
    const t = at.toISOString();
    return entries.find((e) => (!e.validFrom || e.validFrom <= t) && (!e.validTo || t < e.validTo))?.mailbox;
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

  private async deleteVersion(connectorId: string, version: string): Promise<void> {
    const pk = `${connectorId}__${version}`;
    const keys: string[] = [];
    for await (const r of this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['RowKey'] } }))
      keys.push(r.rowKey as string);
    for (let i = 0; i < keys.length; i += 100) {
      await this.table.submitTransaction(keys.slice(i, i + 100).map((rk) => ['delete', { partitionKey: pk, rowKey: rk }] as TransactionAction));
    }
  }
}
