import { app, type InvocationContext, type Timer } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { dispatchFetches } from '../shared/scheduling/dispatch-fetches';
import { newRunId } from '../shared/runs/run-id';

/** Timer: enqueue one fetch job per enabled connector for the window since its checkpoint. */
export async function scheduler(timer: Timer, context: InvocationContext): Promise<void> {
  const s = services();
  const now = new Date();
  const runId = newRunId(now);
  context.log(`scheduler run ${runId}${timer.isPastDue ? ' (past due)' : ''}`);
  const outcomes = await dispatchFetches({ ...s, now, runId, log: (m) => context.log(m), error: (m) => context.error(m) });
  const dispatched = outcomes.filter((o) => o.outcome === 'dispatched' || o.outcome === 'redispatched').length;
  context.log(`scheduler run ${runId}: ${dispatched} of ${outcomes.length} connector(s) dispatched`);
}

app.timer('scheduler', {
  schedule: '%ARCHIVE_SCHEDULE%',
  // Catch-up is the checkpoint's job (the next window starts at the watermark), not the host's.
  runOnStartup: false,
  useMonitor: true,
  handler: guarded(scheduler),
});
