/**
 * Items that mapped to no mailbox: not imported, never lost. Each is kept with its participants'
 * numbers and why each did not map, and `npm run redrive -- --unmapped <connector>` queues them again
 * once the mapping is fixed. A later successful import removes the row.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { percentEncode } from '../text/percent-encode';
import { withoutInlineEml, type ImportJob } from '../jobs/import-job';
import { deleteEntityIfExists } from '../storage/tables';

export interface UnmappedItem {
  job: ImportJob;
  numbers: string[];
  reasons: string[];
  at: string;
}

export class UnmappedStore {
  constructor(private readonly table: TableClient) {}

  async record(job: ImportJob, numbers: string[], reasons: string[]): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: job.connectorId,
        rowKey: percentEncode(job.itemId),
        job: JSON.stringify(withoutInlineEml(job)),
        numbers: numbers.join(', '),
        reasons: JSON.stringify(reasons).slice(0, 30_000),
        at: new Date().toISOString(),
      },
      'Replace',
    );
  }

  async list(connectorId: string): Promise<UnmappedItem[]> {
    const out: UnmappedItem[] = [];
    for await (const e of this.table.listEntities<{ job: string; numbers: string; reasons: string; at: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${connectorId}` },
    })) {
      out.push({ job: JSON.parse(e.job) as ImportJob, numbers: e.numbers.split(', ').filter(Boolean), reasons: JSON.parse(e.reasons) as string[], at: e.at });
    }
    return out;
  }

  /** Removes an item from the list; true if it was on it. */
  async remove(connectorId: string, itemId: string): Promise<boolean> {
    return deleteEntityIfExists(this.table, connectorId, percentEncode(itemId));
  }
}
