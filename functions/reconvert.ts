import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { parseConvertJob } from '../shared/jobs/convert-job';
import { convertRawItem } from '../shared/converting/convert-raw-item';
import { queues, STORAGE_CONNECTION } from '../shared/storage/names';

/** Queue: convert a raw item the reconciliation sweep found unconverted (no blob event reached the converter). */
export async function reconvert(message: unknown, context: InvocationContext): Promise<void> {
  const job = parseConvertJob(message);
  const result = await convertRawItem(job.rawPath, { ...services(), log: (m) => context.log(m) });
  if (result.status === 'dead-lettered') context.warn(`raw item ${job.rawPath} dead-lettered: ${result.reason}`);
  else context.log(`raw item ${job.rawPath} (queued by reconciliation): ${result.status}`);
}

app.storageQueue('reconvert', {
  queueName: queues.convertJobs,
  connection: STORAGE_CONNECTION,
  handler: guarded(reconvert),
});
