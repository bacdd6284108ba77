import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { parseFetchJob } from '../shared/jobs/fetch-job';
import { fetchWindowPart } from '../shared/fetching/fetch-window-part';
import { queues, STORAGE_CONNECTION } from '../shared/storage/names';

/** Queue: fetch one part of a connector window from the archiver into Blob storage. */
export async function fetcher(message: unknown, context: InvocationContext): Promise<void> {
  // A malformed job throws here: the host retries it, then keeps it intact in fetch-jobs-poison.
  const job = parseFetchJob(message);
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const result = await fetchWindowPart(job, { ...services(), dequeueCount, log: (m) => context.log(m) });
  const line =
    `fetch ${job.connectorId} run ${job.runId} part ${job.part}: ${result.status}, ${result.pages} page(s), ` +
    `${result.written} written, ${result.present} already present, ${result.quarantined} quarantined`;
  // A window given back (refused sign-in, connector unavailable, dead-lettered) needs an operator: an error, not information.
  if (result.status === 'sign-in-failed' || result.status === 'unavailable' || result.status === 'dead-lettered')
    context.error(`${line}; ${result.message ?? ''}`);
  else context.log(line);
}

app.storageQueue('fetcher', {
  queueName: queues.fetchJobs,
  connection: STORAGE_CONNECTION,
  handler: guarded(fetcher),
});
