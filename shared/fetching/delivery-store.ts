/**
 * What became of each ZIP an sftp-zip connector received. Two rows per connector partition:
 *   RK "zip__<sha256>"   the ZIP's content: claimed (ingesting), ingested or refused. A conditional
 *                        insert claims it, so a ZIP delivered twice, renamed, or announced by two
 *                        events at once is read by one execution; a claim whose holder died is
 *                        taken over after its lease, under its ETag.
 *   RK "blob__<name>"    the landing blob's ETag when it was last settled, so the sweep skips what it saw.
 */
import type { TableClient } from '@azure/data-tables';
import { hasStatus } from '../http/http-error';
import { percentEncode } from '../text/percent-encode';
import { findEntity } from '../storage/tables';
import { etagOf } from '../http/etag';

export const DELIVERY_LEASE_MS = 15 * 60_000;

export type DeliveryState = 'ingesting' | 'ingested' | 'refused';

export interface DeliveryRow {
  state: DeliveryState;
  name: string;
  runId: string;
  holder: string;
  claimedAt: string;
  emails?: number;
  written?: number;
  present?: number;
  reason?: string;
  etag: string;
}

const zipKey = (sha256: string) => `zip__${sha256}`;
const blobKey = (name: string) => `blob__${percentEncode(name)}`;

export class DeliveryStore {
  constructor(private readonly table: TableClient) {}

  get(connectorId: string, sha256: string): Promise<DeliveryRow | undefined> {
    return findEntity<DeliveryRow>(this.table, connectorId, zipKey(sha256));
  }

  /** The ZIP for this holder, or the row someone else has (settled, or claimed and maybe expired). */
  async claim(connectorId: string, sha256: string, row: { name: string; runId: string; holder: string }): Promise<{ mine: boolean; row: DeliveryRow }> {
    const fresh = { state: 'ingesting' as const, ...row, claimedAt: new Date().toISOString() };
    try {
      const r = await this.table.createEntity({ partitionKey: connectorId, rowKey: zipKey(sha256), ...fresh });
      return { mine: true, row: { ...fresh, etag: etagOf(r.etag, 'delivery claim') } };
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
    }
    const existing = await this.get(connectorId, sha256);
    if (!existing) return this.claim(connectorId, sha256, row);
    const expired = existing.state === 'ingesting' && Date.now() - Date.parse(existing.claimedAt) > DELIVERY_LEASE_MS;
    if (!expired) return { mine: false, row: existing };
    try {
      const r = await this.table.updateEntity({ partitionKey: connectorId, rowKey: zipKey(sha256), ...fresh }, 'Replace', { etag: existing.etag });
      return { mine: true, row: { ...fresh, etag: etagOf(r.etag, 'delivery claim') } };
    } catch (err) {
      if (hasStatus(err, 412, 404)) return { mine: false, row: existing };
      throw err;
    }
  }

  /** Settles a claimed ZIP (ingested or refused) with its counts or reason. */
  async settle(
    connectorId: string,
    sha256: string,
    claimed: DeliveryRow,
    outcome: Omit<DeliveryRow, 'etag' | 'name' | 'runId' | 'holder' | 'claimedAt'>,
  ): Promise<void> {
    const { etag: _etag, ...kept } = claimed;
    await this.table.updateEntity({ partitionKey: connectorId, rowKey: zipKey(sha256), ...kept, ...outcome, holder: '' }, 'Replace');
  }

  /** Gives a claim back (an upload still in progress): the next event or sweep claims it again. */
  async release(connectorId: string, sha256: string, claimed: DeliveryRow): Promise<void> {
    try {
      await this.table.deleteEntity(connectorId, zipKey(sha256), { etag: claimed.etag });
    } catch (err) {
      if (!hasStatus(err, 404, 412)) throw err;
    }
  }

  /** The landing blob's ETag the last time it was settled (ingested, refused, or a copy of a ZIP already read). */
  async settledBlob(connectorId: string, name: string): Promise<string | undefined> {
    return (await findEntity<{ blobEtag: string }>(this.table, connectorId, blobKey(name)))?.blobEtag;
  }

  async markBlob(connectorId: string, name: string, blobEtag: string, sha256: string, state: DeliveryState): Promise<void> {
    await this.table.upsertEntity({ partitionKey: connectorId, rowKey: blobKey(name), name, blobEtag, sha256, state }, 'Replace');
  }
}
