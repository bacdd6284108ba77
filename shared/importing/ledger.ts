/**
 * The import ledger: (mailbox, item) -> the Graph message it became, and who is making it.
 *
 * A copy is claimed with a conditional insert before anything is created, so of two deliveries of
 * the same job (queues deliver at least once, sometimes simultaneously) exactly one creates the
 * message; the other sees the claim and comes back later. Graph is asked whether the message exists
 * only when a claim exists without a completion: its holder crashed, or gave up on an answer it did
 * not get. So a copy costs one Graph request when nothing goes wrong.
 *
 * States: "claimed" (no message known yet), "created" (the message exists; attachments may be
 * missing), "complete". A claim has a holder and a lease; a holder that fails hands the claim back
 * (holder ""), and a lease that runs out (a crashed instance) may be taken over, under the ETag.
 */
import type { TableClient } from '@azure/data-tables';
import { percentEncode } from '../text/percent-encode';
import { findEntity } from '../storage/tables';
import { hasStatus } from '../http/http-error';

/** The default lease: longer than any one copy takes (a 150 MB upload included), shorter than the import function's timeout. */
export const CLAIM_LEASE_MS = 15 * 60_000;

export type LedgerState = 'claimed' | 'created' | 'complete';

export interface LedgerEntry {
  state: LedgerState;
  messageId?: string;
  folderId?: string;
  /** Who is making the copy now ("" when nobody is). */
  holder: string;
  claimedAt: string;
  etag: string;
}

interface Row {
  state: LedgerState;
  messageId?: string;
  folderId?: string;
  holder?: string;
  claimedAt?: string;
}

export class ImportLedger {
  constructor(
    private readonly table: TableClient,
    /** IMPORT_CLAIM_LEASE_SECONDS. */
    readonly leaseMs = CLAIM_LEASE_MS,
  ) {}

  private static key(connectorId: string, itemId: string): string {
    return percentEncode(`${connectorId}:${itemId}`);
  }

  async get(userId: string, connectorId: string, itemId: string): Promise<LedgerEntry | undefined> {
    const e = await findEntity<Row>(this.table, userId, ImportLedger.key(connectorId, itemId));
    return e && entryOf(e, e.etag);
  }

  /** Claims a copy nobody has started; if any row exists the insert fails and that row is returned (its holder says whose it is). */
  async claim(userId: string, connectorId: string, itemId: string, holder: string): Promise<LedgerEntry> {
    const row: Row = { state: 'claimed', holder, claimedAt: new Date().toISOString() };
    try {
      const res = await this.table.createEntity({ partitionKey: userId, rowKey: ImportLedger.key(connectorId, itemId), ...row });
      return entryOf(row, res.etag ?? '');
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
      const existing = await this.get(userId, connectorId, itemId);
      if (!existing) throw new Error(`ledger row of ${connectorId}:${itemId} vanished while it was claimed`, { cause: err });
      return existing;
    }
  }

  /** Is the claim someone else's live one (not handed back, lease not run out)? */
  heldByAnother(entry: LedgerEntry, holder: string, now = Date.now()): boolean {
    return entry.state !== 'complete' && entry.holder !== '' && entry.holder !== holder && now - Date.parse(entry.claimedAt) < this.leaseMs;
  }

  /** Takes over a handed-back or expired claim; false if someone else changed it first. */
  async takeOver(userId: string, connectorId: string, itemId: string, entry: LedgerEntry, holder: string): Promise<LedgerEntry | undefined> {
    return this.replace(userId, connectorId, itemId, { ...entry, holder, claimedAt: new Date().toISOString() }, entry.etag);
  }

  /** Records progress of a claim this holder has (the ETag keeps a taken-over holder from writing). */
  async update(userId: string, connectorId: string, itemId: string, entry: LedgerEntry, change: Partial<Row>): Promise<LedgerEntry> {
    const next = await this.replace(userId, connectorId, itemId, { ...entry, ...change }, entry.etag);
    if (!next) throw new ClaimLostError(`${connectorId}:${itemId}`);
    return next;
  }

  /** Hands a claim back after a failure, so the next delivery need not wait for the lease. Best effort. */
  async release(userId: string, connectorId: string, itemId: string, entry: LedgerEntry): Promise<void> {
    await this.replace(userId, connectorId, itemId, { ...entry, holder: '' }, entry.etag).catch(() => undefined);
  }

  private async replace(userId: string, connectorId: string, itemId: string, entry: Omit<LedgerEntry, 'etag'>, etag: string): Promise<LedgerEntry | undefined> {
    const row: Row = { state: entry.state, messageId: entry.messageId, folderId: entry.folderId, holder: entry.holder, claimedAt: entry.claimedAt };
    try {
      const res = await this.table.updateEntity({ partitionKey: userId, rowKey: ImportLedger.key(connectorId, itemId), ...row }, 'Replace', { etag });
      return entryOf(row, res.etag ?? '');
    } catch (err) {
      if (hasStatus(err, 412) || hasStatus(err, 404)) return undefined;
      throw err;
    }
  }
}

/** Another delivery took the claim over (this one ran past its lease): it stops, the other finishes. */
export class ClaimLostError extends Error {
  constructor(key: string) {
    super(`the import claim on ${key} was taken over by another delivery`);
    this.name = 'ClaimLostError';
  }
}

function entryOf(row: Row, etag: string): LedgerEntry {
  return {
    state: row.state,
    messageId: row.messageId,
    folderId: row.folderId,
    // Rows from before claims existed have no holder: nobody is making them.
    holder: row.holder ?? '',
    claimedAt: row.claimedAt ?? new Date(0).toISOString(),
    etag,
  };
}
