/**
 * Creates every container, queue and table of the storage layout if missing. Used by the local
 * stack and the tests; in Azure the Bicep templates create the same set (and a test keeps the two
 * in step), so the app identity needs no rights to create them.
 */
import { allContainers, allQueues, allTables, devHost } from './names';
import type { StorageClients } from './clients';

export async function ensureStorageLayout(clients: StorageClients, options: { devHost?: boolean } = {}): Promise<void> {
  const queues = [...allQueues];
  const tables = [...allTables];
  if (options.devHost) {
    queues.push(devHost.blobTriggerPoison);
    tables.push(devHost.blobReceipts);
  }
  await Promise.all([
    ...allContainers.map((name) => clients.blob.getContainerClient(name).createIfNotExists()),
    ...queues.map((name) => clients.queue.getQueueClient(name).createIfNotExists()),
    ...tables.map((name) => clients.tableService.createTable(name)),
  ]);
}
