import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { parseImportJob } from '../shared/jobs/import-job';
import { importItem } from '../shared/importing/import-item';
import { queues, STORAGE_CONNECTION } from '../shared/storage/names';

/** Queue: import one converted item into every mapped participant's mailbox. */
export async function importer(message: unknown, context: InvocationContext): Promise<void> {
  const job = parseImportJob(message);
  const s = services();
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const result = await importItem(job, { ...s, log: (m) => context.log(m) }, { dequeueCount });
  context.log(
    `import ${job.connectorId}/${job.itemId}: ${result.status}, ${result.copies.length} mailbox copies, ${result.unmapped.length} unmapped participant(s)`,
  );
}

app.storageQueue('importer', {
  queueName: queues.importJobs,
  connection: STORAGE_CONNECTION,
  handler: guarded(importer),
});
