import type { ImportJob } from '../jobs/import-job';
import type { UnmappedStore } from './unmapped';

/** Queues every unmapped item of a connector for import again; returns how many. */
export async function redriveUnmapped(connectorId: string, unmapped: UnmappedStore, send: (job: ImportJob) => Promise<void>): Promise<number> {
  const items = await unmapped.list(connectorId);
  for (const item of items) await send({ ...item.job, attempt: 0 });
  return items.length;
}
