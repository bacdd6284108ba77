/**
 * `npm run redrive -- --unmapped|--failed|--poisoned <connector> [--run ID] [--item ID]`: queues
 * again what a stage left behind: items that mapped to no mailbox (after fixing the mapping), items
 * a stage gave up on (dead letters), or messages in the poison queues. The app takes them up as soon
 * as it runs (in Azure at once; locally with `npm start`); the importer's ledger keeps a copy that
 * already landed from being written twice.
 */
import { queues, tables } from '../../shared/storage/names';
import { sendJsonMessage } from '../../shared/storage/queue-messages';
import { UnmappedStore } from '../../shared/importing/unmapped';
import { redriveFailed, redrivePoisoned, redriveUnmapped, type RedriveResult } from '../../shared/reconciling/redrive';
import { STORAGE_TARGET_HELP, storageTarget, storageTargetOptions, withTargetStorage } from '../stack/tool-storage';
import { parseCommandLine, runCommand, UsageError } from './command-line';

const spec = {
  usage: 'npm run redrive -- (--unmapped | --failed | --poisoned) <connector> [--run ID] [--item ID] [--target local|azure] [--account NAME]',
  help: `Queues again, for one connector:
  --unmapped <connector>  items that mapped to no mailbox (after fixing the mapping)
  --failed <connector>    items the converter or importer gave up on (dead letters), e.g. after an outage
  --poisoned <connector>  messages the Functions host moved to a poison queue
  --run ID                only those of this run
  --item ID               only this item
  --json                  the answer as JSON ({ kind, connectorId, queued: { <queue>: n }, left: [...] })
${STORAGE_TARGET_HELP}
Exit 0 when done (also when there was nothing to queue), 2 for a wrong command line or an unknown connector.`,
  options: {
    unmapped: { type: 'string' },
    failed: { type: 'string' },
    poisoned: { type: 'string' },
    run: { type: 'string' },
    item: { type: 'string' },
    json: { type: 'boolean' },
    ...storageTargetOptions,
  },
} as const;

runCommand(async () => {
  const { values } = parseCommandLine(spec);
  const kinds = (['unmapped', 'failed', 'poisoned'] as const).filter((k) => values[k] !== undefined);
  if (kinds.length !== 1) throw new UsageError(`say exactly one of --unmapped, --failed or --poisoned with a connector\nusage: ${spec.usage}`);
  const kind = kinds[0];
  const connectorId = values[kind]!;
  if (kind === 'unmapped' && (values.run || values.item)) throw new UsageError('--run and --item apply to --failed and --poisoned');
  const target = storageTarget(values);
  return withTargetStorage(
    target,
    async (tool) => {
      const { storage } = tool;
      if (kind === 'unmapped') {
        await storage.tableService.createTable(tables.unmapped);
        const count = await redriveUnmapped(connectorId, new UnmappedStore(storage.table(tables.unmapped)), (job) =>
          sendJsonMessage(storage.queue.getQueueClient(queues.importJobs), job).then(() => undefined),
        );
        if (values.json) console.log(JSON.stringify({ kind, connectorId, queued: count > 0 ? { [queues.importJobs]: count } : {}, left: [] }, null, 2));
        else
          console.log(
            count === 0
              ? `${connectorId}: no unmapped items`
              : `${connectorId}: queued ${count} unmapped item(s) for import; ${whenImported(tool.target.kind)}`,
          );
        return 0;
      }
      const filter = { connectorId, runId: values.run, itemId: values.item };
      const result: RedriveResult = kind === 'failed' ? await redriveFailed(storage, filter) : await redrivePoisoned(storage, filter);
      const sent = Object.entries(result.queued);
      if (values.json) {
        console.log(JSON.stringify({ kind, connectorId, ...result }, null, 2));
        return 0;
      }
      console.log(
        sent.length === 0
          ? `${connectorId}: no ${kind} items${values.run ? ` in run ${values.run}` : ''}${values.item ? ` for item ${values.item}` : ''}`
          : `${connectorId}: queued ${sent.map(([q, n]) => `${n} to ${q}`).join(', ')}; ${whenImported(tool.target.kind)}`,
      );
      for (const l of result.left) console.log(`  not re-driven: ${l.key}: ${l.reason}`);
      return 0;
    },
    { connectorId },
  );
});

function whenImported(target: 'local' | 'azure'): string {
  return target === 'azure' ? 'the app takes them up now' : 'they are processed when the app runs (npm start)';
}
