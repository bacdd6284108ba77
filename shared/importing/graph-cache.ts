/**
 * Graph answers kept in a table so that thousands of items per day do not ask Graph the same thing:
 * whether an address has a mailbox (with a TTL: a negative answer is re-checked sooner) and the id
 * of the connector folder in a mailbox. The folder id is confirmed again every FOLDER_RECHECK_MS:
 * a user who moves the folder to Deleted Items gets a new one at the top of the mailbox, instead of
 * items going on into the deleted folder.
 */
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { MailboxCheck } from '../graph/mailbox-api';
import { findEntity, deleteEntityIfExists } from '../storage/tables';

/** How often a cached folder id is confirmed to be still at the top of the mailbox (one Graph request per mailbox). */
export const FOLDER_RECHECK_MS = 15 * 60_000;

export class GraphCache {
  private readonly folders = new Map<string, { folderId: string; until: number }>();
  /** The table's answers kept in memory too (for a minute at most): no table read per participant per item. */
  private readonly mailboxes = new Map<string, { result: MailboxCheck; until: number }>();
  /**
   * Look-ups under way, by key: the first copies of a busy day go to the same few mailboxes at once,
   * and each asking Graph on its own made a stampede (49 folder look-ups and 8 ErrorFolderExists
   * for 33 folders). Later callers share the first one's answer.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly table: TableClient,
    private readonly ttlMinutes: number,
    private readonly folderRecheckMs = FOLDER_RECHECK_MS,
  ) {}

  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    let pending = this.inFlight.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = work().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  async mailbox(address: string, check: () => Promise<MailboxCheck>): Promise<MailboxCheck> {
    const pk = address.toLowerCase();
    const remembered = this.mailboxes.get(pk);
    if (remembered && remembered.until > Date.now()) return remembered.result;
    return this.once(`mailbox/${pk}`, () => this.lookUpMailbox(pk, check));
  }

  private async lookUpMailbox(pk: string, check: () => Promise<MailboxCheck>): Promise<MailboxCheck> {
    const ttlOf = (r: MailboxCheck) => this.ttlMinutes * 60_000 * (r.status === 'mailbox' ? 1 : 0.1);
    const remember = (result: MailboxCheck, checkedAt: number) => {
      this.mailboxes.set(pk, { result, until: Math.min(checkedAt + ttlOf(result), Date.now() + 60_000) });
      return result;
    };
    const e = await findEntity<{ json: string; checkedAt: string }>(this.table, pk, 'mailbox');
    if (e) {
      const result = JSON.parse(e.json) as MailboxCheck;
      if (Date.now() - Date.parse(e.checkedAt) < ttlOf(result)) return remember(result, Date.parse(e.checkedAt));
    }
    const result = await check();
    await this.table.upsertEntity({ partitionKey: pk, rowKey: 'mailbox', json: JSON.stringify(result), checkedAt: new Date().toISOString() }, 'Replace');
    return remember(result, Date.now());
  }

  /**
   * The connector folder's id. `ensure` finds the folder by name among the mailbox's top-level
   * folders (a folder moved to Deleted Items is not among them) or creates it.
   */
  async folder(userId: string, displayName: string, ensure: () => Promise<string>): Promise<string> {
    const rk = folderRowKey(displayName);
    const key = `${userId}/${rk}`;
    const cached = this.folders.get(key);
    if (cached && cached.until > Date.now()) return cached.folderId;
    return this.once(`folder/${key}`, () => this.lookUpFolder(userId, displayName, rk, key, ensure));
  }

  private async lookUpFolder(userId: string, displayName: string, rk: string, key: string, ensure: () => Promise<string>): Promise<string> {
    const e = await findEntity<{ folderId: string; checkedAt?: string }>(this.table, userId, rk);
    const checkedAt = e?.checkedAt ? Date.parse(e.checkedAt) : 0;
    if (e && Date.now() - checkedAt < this.folderRecheckMs) {
      this.folders.set(key, { folderId: e.folderId, until: checkedAt + this.folderRecheckMs });
      return e.folderId;
    }
    const folderId = await ensure();
    await this.table.upsertEntity({ partitionKey: userId, rowKey: rk, folderId, displayName, checkedAt: new Date().toISOString() }, 'Replace');
    this.folders.set(key, { folderId, until: Date.now() + this.folderRecheckMs });
    return folderId;
  }

  /** Exchange refused the mailbox although it was confirmed: ask again next time. Best effort. */
  async forgetMailbox(address: string): Promise<void> {
    const pk = address.toLowerCase();
    this.mailboxes.delete(pk);
    await deleteEntityIfExists(this.table, pk, 'mailbox');
  }

  /** The folder was deleted in the mailbox: look it up (or create it) again next time. */
  async forgetFolder(userId: string, displayName: string): Promise<void> {
    const rk = folderRowKey(displayName);
    this.folders.delete(`${userId}/${rk}`);
    // Best effort: the caller is about to report the Graph error; a row left behind is forgotten on the next failure.
    await deleteEntityIfExists(this.table, userId, rk).catch(() => false);
  }
}

function folderRowKey(displayName: string): string {
  return `folder__${createHash('sha256').update(displayName).digest('hex').slice(0, 32)}`;
}
