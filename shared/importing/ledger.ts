/**
 * The import ledger: (mailbox, item) -> the Graph message it became. A row is written when the
 * message exists ("created") and marked "complete" once every attachment is on it, so a retried job
 * neither creates a second message nor leaves one without its attachments.
 */
import type { TableClient } from '@azure/data-tables';
import { percentEncode } from '../text/percent-encode';
import { findEntity } from '../storage/tables';

export interface LedgerEntry {
  messageId: string;
  folderId: string;
  state: 'created' | 'complete';
}

export class ImportLedger {
  constructor(private readonly table: TableClient) {}

  private static key(connectorId: string, itemId: string): string {
    return percentEncode(`${connectorId}:${itemId}`);
  }

  async get(userId: string, connectorId: string, itemId: string): Promise<LedgerEntry | undefined> {
    const e = await findEntity<LedgerEntry>(this.table, userId, ImportLedger.key(connectorId, itemId));
    return e && { messageId: e.messageId, folderId: e.folderId, state: e.state };
  }

  async put(userId: string, connectorId: string, itemId: string, entry: LedgerEntry): Promise<void> {
    await this.table.upsertEntity({ partitionKey: userId, rowKey: ImportLedger.key(connectorId, itemId), ...entry, at: new Date().toISOString() }, 'Replace');
  }
}
