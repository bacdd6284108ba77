/**
 * The import ledger: (item, mailbox) -> the Graph message it became, and who is making it.
 *
 * A copy is claimed with a conditional insert before anything is created, so of two deliveries of
 * the same job (queues deliver at least once, sometimes simultaneously) exactly one creates the
 * message; the other sees the claim and comes back later. Graph is asked whether the message exists
 * only when a claim exists without a completion: its holder crashed, or gave up on an answer it did
 * not get. So a copy costs one Graph request when nothing goes wrong.
 *
 * One partition per item, a row per mailbox: every copy of an item is claimed in one entity-group
 * transaction and completed in another, two storage requests per item instead of two per copy.
 *
 * States: "claimed" (no message known yet), "created" (the message exists; attachments may be
 * missing), "complete". A claim has a holder and a lease; a holder that fails hands the claim back
 * (holder ""), and a lease that runs out (a crashed instance) may be taken over, under the ETag.
 *
 * Before this layout the ledger was one partition per mailbox (table `importledger`). While that
 * table holds rows, a fresh claim also looks there and adopts what it finds, and the reconciliation
 * sweep moves its rows over (`migrateLegacy`), so no copy made before an upgrade is made again.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { percentEncode } from '../text/percent-encode';
import { deleteEntityIfExists, findEntity } from '../storage/tables';
import { hasStatus } from '../http/http-error';
import { etagOf } from '../http/etag';

/** The default lease: longer than any one copy takes (a 150 MB upload included), shorter than the import function's timeout. */
export const CLAIM_LEASE_MS = 15 * 60_000;
/** Rows in one entity-group transaction (the Table service's limit). */
const MAX_BATCH = 100;
/** How long a process trusts its last look at the legacy table ("it still has rows"). */
const LEGACY_RECHECK_MS = 10 * 60_000;

export type LedgerState = 'claimed' | 'created' | 'complete';
const RANK: Record<LedgerState, number> = { claimed: 0, created: 1, complete: 2 };

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

/** A copy's key: the mailbox (Graph user id), the connector and the item. */
export type CopyIds = readonly [userId: string, connectorId: string, itemId: string];

/** One completion of a batch: the claim this holder has, and what to write. */
export interface Completion {
  userId: string;
  entry: LedgerEntry;
  change: Partial<Row>;
}

export interface LegacyMigration {
  moved: number;
  /** Rows left for the next sweep (time budget spent, or a fresh claim of the same copy in progress). */
  more: boolean;
}

export class ImportLedger {
  private legacyState: { look: 'rows' | 'empty' | 'gone'; checkedAt: number } | undefined;

  constructor(
    private readonly table: TableClient,
    /** The pre-partition-per-item ledger, read while it holds rows; none in a deployment that never had it. */
    private readonly legacy?: TableClient,
    /** IMPORT_CLAIM_LEASE_SECONDS. */
    readonly leaseMs = CLAIM_LEASE_MS,
  ) {}

  static partition(connectorId: string, itemId: string): string {
    return percentEncode(`${connectorId}:${itemId}`);
  }

  async get(userId: string, connectorId: string, itemId: string): Promise<LedgerEntry | undefined> {
    const e = await findEntity<Row>(this.table, ImportLedger.partition(connectorId, itemId), userId);
    return e && entryOf(e, e.etag);
  }

  /** Claims a copy nobody has started; if any row exists the insert fails and that row is returned (its holder says whose it is). */
  async claim(userId: string, connectorId: string, itemId: string, holder: string): Promise<LedgerEntry> {
    return (await this.claimAll(connectorId, itemId, [userId], holder)).get(userId)!;
  }

  /**
   * Claims the copies of one item for these mailboxes in one transaction. When any of them has a
   * row already (a retry, a duplicated delivery), the transaction inserts nothing and each copy is
   * claimed on its own, so the answer for every mailbox is its own claim or the row that is there.
   */
  async claimAll(connectorId: string, itemId: string, userIds: readonly string[], holder: string): Promise<Map<string, LedgerEntry>> {
    const partitionKey = ImportLedger.partition(connectorId, itemId);
    const row = (): Row => ({ state: 'claimed', holder, claimedAt: new Date().toISOString() });
    const claims = new Map<string, LedgerEntry>();
    const fresh: string[] = [];
    const unique = [...new Set(userIds)];
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      const chunk = unique.slice(i, i + MAX_BATCH);
      const rows = chunk.map((userId) => ({ partitionKey, rowKey: userId, ...row() }));
      try {
        if (rows.length === 1) {
          const res = await this.table.createEntity(rows[0]);
          claims.set(chunk[0], entryOf(rows[0], etagOf(res.etag, 'import ledger claim')));
        } else {
          const res = await this.table.submitTransaction(rows.map((r): TransactionAction => ['create', r]));
          rows.forEach((r, j) => claims.set(r.rowKey, entryOf(r, etagOf(res.subResponses[j]?.etag, 'import ledger claim'))));
        }
        fresh.push(...chunk);
      } catch (err) {
        if (!hasStatus(err, 409)) throw err;
        for (const userId of chunk) {
          const one = await this.claimOne(partitionKey, userId, row());
          claims.set(userId, one.entry);
          if (one.fresh) fresh.push(userId);
        }
      }
    }
    if (fresh.length > 0 && (await this.legacyInUse())) {
      for (const userId of fresh) claims.set(userId, await this.adoptLegacy(userId, connectorId, itemId, claims.get(userId)!));
    }
    return claims;
  }

  private async claimOne(partitionKey: string, userId: string, row: Row): Promise<{ entry: LedgerEntry; fresh: boolean }> {
    try {
      const res = await this.table.createEntity({ partitionKey, rowKey: userId, ...row });
      return { entry: entryOf(row, etagOf(res.etag, 'import ledger claim')), fresh: true };
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
      const existing = await findEntity<Row>(this.table, partitionKey, userId);
      if (!existing) throw new Error(`ledger row of ${decodeURIComponent(partitionKey)} for ${userId} vanished while it was claimed`, { cause: err });
      return { entry: entryOf(existing, existing.etag), fresh: false };
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

  /**
   * Records the progress of several copies of one item in one transaction, each under its claim's
   * ETag. If any claim was taken over meanwhile, the transaction writes nothing and each is written
   * on its own: the answer holds the new entry, or a ClaimLostError for a copy another delivery took.
   */
  async updateAll(connectorId: string, itemId: string, completions: readonly Completion[]): Promise<Map<string, LedgerEntry | ClaimLostError>> {
    const partitionKey = ImportLedger.partition(connectorId, itemId);
    const out = new Map<string, LedgerEntry | ClaimLostError>();
    const one = async (c: Completion) =>
      out.set(
        c.userId,
        await this.update(c.userId, connectorId, itemId, c.entry, c.change).catch((err: unknown) => {
          if (err instanceof ClaimLostError) return err;
          throw err;
        }),
      );
    for (let i = 0; i < completions.length; i += MAX_BATCH) {
      const chunk = completions.slice(i, i + MAX_BATCH);
      if (chunk.length === 1) {
        await one(chunk[0]);
        continue;
      }
      const rows = chunk.map((c) => ({ partitionKey, rowKey: c.userId, ...rowOf({ ...c.entry, ...c.change }) }));
      try {
        const res = await this.table.submitTransaction(rows.map((r, j): TransactionAction => ['update', r, 'Replace', { etag: chunk[j].entry.etag }]));
        rows.forEach((r, j) => out.set(r.rowKey, entryOf(r, etagOf(res.subResponses[j]?.etag, 'import ledger update'))));
      } catch (err) {
        if (!hasStatus(err, 412) && !hasStatus(err, 404)) throw err;
        for (const c of chunk) await one(c);
      }
    }
    return out;
  }

  /** Removes a claim under which nothing was sent (under its ETag), so the next delivery claims afresh without a look-up. Best effort. */
  async abandon(userId: string, connectorId: string, itemId: string, entry: LedgerEntry): Promise<void> {
    await deleteEntityIfExists(this.table, ImportLedger.partition(connectorId, itemId), userId, entry.etag).catch(() => undefined);
  }

  /** Hands a claim back after a failure, so the next delivery need not wait for the lease. Best effort. */
  async release(userId: string, connectorId: string, itemId: string, entry: LedgerEntry): Promise<void> {
    await this.replace(userId, connectorId, itemId, { ...entry, holder: '' }, entry.etag).catch(() => undefined);
  }

  private async replace(userId: string, connectorId: string, itemId: string, entry: Omit<LedgerEntry, 'etag'>, etag: string): Promise<LedgerEntry | undefined> {
    const row = rowOf(entry);
    const written = await this.replaceRow(ImportLedger.partition(connectorId, itemId), userId, row, etag);
    return written === undefined ? undefined : entryOf(row, written);
  }

  /** Replaces a row under its ETag: the new ETag, or undefined when the row changed or went meanwhile. */
  private async replaceRow(partitionKey: string, userId: string, row: Row, etag: string): Promise<string | undefined> {
    try {
      const res = await this.table.updateEntity({ partitionKey, rowKey: userId, ...row }, 'Replace', { etag });
      return etagOf(res.etag, 'import ledger update');
    } catch (err) {
      if (hasStatus(err, 412) || hasStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Does the legacy table still hold rows? Asked again every LEGACY_RECHECK_MS (an instance of the old version may still be finishing a copy); a table that is gone stays gone. */
  private async legacyInUse(now = Date.now()): Promise<boolean> {
    if (!this.legacy) return false;
    const known = this.legacyState;
    if (known && (known.look === 'gone' || now - known.checkedAt < LEGACY_RECHECK_MS)) return known.look === 'rows';
    const look = await this.lookAtLegacy();
    this.legacyState = { look, checkedAt: now };
    return look === 'rows';
  }

  private async lookAtLegacy(): Promise<'rows' | 'empty' | 'gone'> {
    try {
      const page = await this.legacy!.listEntities({ queryOptions: { select: ['PartitionKey'] } })
        .byPage({ maxPageSize: 1 })
        .next();
      return !page.done && page.value.length > 0 ? 'rows' : 'empty';
    } catch (err) {
      if (hasStatus(err, 404)) return 'gone';
      throw err;
    }
  }

  /** A fresh claim of a copy the legacy ledger knows: the claim takes the legacy row's state, and the legacy row goes. */
  private async adoptLegacy(userId: string, connectorId: string, itemId: string, claim: LedgerEntry): Promise<LedgerEntry> {
    const legacyKey = ImportLedger.partition(connectorId, itemId);
    const old = await findEntity<Row>(this.legacy!, userId, legacyKey);
    if (!old) return claim;
    const adopted = await this.replace(userId, connectorId, itemId, entryOf(old, ''), claim.etag);
    await deleteEntityIfExists(this.legacy!, userId, legacyKey, old.etag);
    return adopted ?? (await this.get(userId, connectorId, itemId)) ?? claim;
  }

  /**
   * Moves legacy rows (partition per mailbox) into this table (partition per item), until the
   * legacy table is empty or `deadline` passes. A row whose copy has a row here already is moved
   * only if it is further along; if it is not, the claimant adopts it (or it was adopted already).
   */
  async migrateLegacy(deadline: number): Promise<LegacyMigration> {
    if (!this.legacy) return { moved: 0, more: false };
    let moved = 0;
    try {
      for await (const page of this.legacy.listEntities<Row>().byPage({ maxPageSize: MAX_BATCH })) {
        for (const old of page) {
          if (Date.now() > deadline) return { moved, more: true };
          const userId = old.partitionKey!;
          const partitionKey = old.rowKey!;
          const row = rowOf(entryOf(old, ''));
          try {
            await this.table.createEntity({ partitionKey, rowKey: userId, ...row });
          } catch (err) {
            if (!hasStatus(err, 409)) throw err;
            const current = await findEntity<Row>(this.table, partitionKey, userId);
            if (current && RANK[current.state] < RANK[row.state]) {
              // A live fresh claim adopts the legacy row itself: leave it to that claim. A dead one is overwritten.
              const live = entryOf(current, current.etag).holder !== '' && Date.now() - Date.parse(current.claimedAt ?? '') < this.leaseMs;
              if (live) continue;
              if ((await this.replaceRow(partitionKey, userId, row, current.etag)) === undefined) continue;
            }
          }
          await deleteEntityIfExists(this.legacy, userId, partitionKey, old.etag);
          moved++;
        }
      }
    } catch (err) {
      if (!hasStatus(err, 404)) throw err;
      return { moved, more: false };
    }
    const look = await this.lookAtLegacy();
    // Emptied: the table goes, so no process needs to look at it again.
    if (look === 'empty') await this.legacy.deleteTable();
    this.legacyState = undefined;
    return { moved, more: look === 'rows' };
  }
}

/** Another delivery took the claim over (this one ran past its lease): it stops, the other finishes. */
export class ClaimLostError extends Error {
  constructor(key: string) {
    super(`the import claim on ${key} was taken over by another delivery`);
    this.name = 'ClaimLostError';
  }
}

function rowOf(entry: Omit<LedgerEntry, 'etag'>): Row {
  return { state: entry.state, messageId: entry.messageId, folderId: entry.folderId, holder: entry.holder, claimedAt: entry.claimedAt };
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
