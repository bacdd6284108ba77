import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { parseSelfTestRequest } from '../shared/jobs/self-test-request';
import { runSelfTest } from '../shared/importing/self-test';
import { queues, STORAGE_CONNECTION } from '../shared/storage/names';

/**
 * Queue: the import self-test, on the administrator's request (docs/importing.md): tries every write
 * strategy on the test mailbox, records which work, and logs each result to Application Insights.
 */
export async function selftest(message: unknown, context: InvocationContext): Promise<void> {
  const request = parseSelfTestRequest(message);
  const s = services();
  const report = await runSelfTest(request.mailbox, {
    api: s.mailboxApi,
    strategies: s.strategies,
    itemClass: s.settings.import.itemClass,
    log: (line) => context.log(`self-test: ${line}`),
  });
  const broken = report.results.filter((r) => !r.works).map((r) => r.strategy);
  if (broken.length > 0) context.warn(`self-test on ${report.mailbox}: not working here: ${broken.join(', ')}`);
  else context.log(`self-test on ${report.mailbox}: every import strategy works`);
}

app.storageQueue('selftest', {
  queueName: queues.selfTestRequests,
  connection: STORAGE_CONNECTION,
  handler: guarded(selftest),
});
