/**
 * `npm run redrive -- --unmapped <connector>`: queues the import of every item of the connector that
 * mapped to no mailbox, typically after the mapping was fixed. The importer takes them up as soon as
 * the app runs (in Azure at once; locally with `npm start`); an item that maps now is imported and
 * leaves the unmapped list, one that still does not stays on it with its new reasons.
 */
import { queues, tables } from '../../shared/storage/names';
import { sendJsonMessage } from '../../shared/storage/queue-messages';
import { UnmappedStore } from '../../shared/importing/unmapped';
import { redriveUnmapped } from '../../shared/importing/redrive';
import { runCommand, takeDataDir, withStackStorage } from '../stack/tool-storage';

runCommand(async () => {
  const args = process.argv.slice(2);
  const dataDir = takeDataDir(args);
  const at = args.indexOf('--unmapped');
  const connectorId = at >= 0 ? args[at + 1] : undefined;
  if (!connectorId) {
    console.error('usage: npm run redrive -- --unmapped <connector> [--data-dir DIR]');
    return 2;
  }
  return withStackStorage(dataDir, async (storage) => {
    await storage.tableService.createTable(tables.unmapped);
    const count = await redriveUnmapped(connectorId, new UnmappedStore(storage.table(tables.unmapped)), (job) =>
      sendJsonMessage(storage.queue.getQueueClient(queues.importJobs), job).then(() => undefined),
    );
    console.log(
      count === 0
        ? `${connectorId}: no unmapped items`
        : `${connectorId}: queued ${count} unmapped item(s) for import; they are imported when the app runs (locally: npm start)`,
    );
    return 0;
  });
});
