/**
 * Items a stage gave up on, with the reason. The input itself is never deleted (the raw item stays
 * in raw-items, the .eml in mime-messages), so a fixed item or setting can be re-driven from here.
 * PK: connector id; RK: "<stage>__<item key>".
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { Stage } from './run-status';
import { percentEncode } from '../text/percent-encode';
import { deleteEntityIfExists } from '../storage/tables';

export interface DeadLetter {
  connectorId: string;
  stage: Stage;
  key: string;
  reason: string;
  /** Container/path of the input to re-drive from. */
  input: string;
  runId: string;
  /** The item and, for one mailbox copy, the mailbox (import stage; rows written before these were kept lack them). */
  itemId?: string;
  mailbox?: string;
  at: string;
}

/** A dead letter as read, with the ETag that guards its removal. */
export type StoredDeadLetter = DeadLetter & { etag: string };

export class DeadLetterStore {
  constructor(private readonly table: TableClient) {}

  async record(letter: Omit<DeadLetter, 'at'>): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: letter.connectorId,
        rowKey: rowKeyOf(letter.stage, letter.key),
        ...letter,
        reason: letter.reason.slice(0, 4000),
        at: new Date().toISOString(),
      },
      'Replace',
    );
  }

  async list(connectorId: string, stage?: Stage): Promise<StoredDeadLetter[]> {
    const filter = stage
      ? odata`PartitionKey eq ${connectorId} and RowKey ge ${`${stage}__`} and RowKey lt ${`${stage}_~`}`
      : odata`PartitionKey eq ${connectorId}`;
    const out: StoredDeadLetter[] = [];
    for await (const e of this.table.listEntities<DeadLetter>({ queryOptions: { filter } })) out.push(e);
    return out;
  }

  /** Removes a dead letter unless it was recorded again since it was read (a new failure stays); false then. */
  async removeIfUnchanged(letter: StoredDeadLetter): Promise<boolean> {
    return deleteEntityIfExists(this.table, letter.connectorId, rowKeyOf(letter.stage, letter.key), letter.etag);
  }
}

function rowKeyOf(stage: Stage, key: string): string {
  return `${stage}__${percentEncode(key)}`;
}
