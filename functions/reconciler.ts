import { app, type InvocationContext, type Timer } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { reconcile } from '../shared/reconciling/reconcile';

/** Hourly at minute 15: late enough after the hour that the scheduler's own work is under way. */
export const RECONCILE_SCHEDULE = '0 15 * * * *';
/** Time each sweep gives to moving the earlier import ledger (well inside the function timeout). */
const LEGACY_MIGRATION_BUDGET_MS = 5 * 60_000;

/** Timer: queue again the items a lost blob event or job left behind, measure the poison queues, remove orphaned mapping rows, move the earlier import ledger, and drop runs past the admin log's retention. */
export async function reconciler(_timer: Timer, context: InvocationContext): Promise<void> {
  const s = services();
  const result = await reconcile({ ...s, now: new Date(), log: (m) => context.log(m) });
  const requeued = Object.entries(result.requeued).map(([c, n]) => `${c}: ${n.convert} to convert, ${n.import} to import`);
  const poisoned = Object.entries(result.poison)
    .filter(([, n]) => n > 0)
    .map(([q, n]) => `${q}: ${n}`);
  const summary = `reconciliation: ${result.runsSwept} run(s) swept; ${requeued.length > 0 ? `queued again ${requeued.join('; ')}` : 'nothing stranded'}${result.more ? '; more next sweep' : ''}`;
  if (requeued.length > 0 || result.gaveUp > 0) context.warn(`${summary}; ${result.gaveUp} given up`);
  else context.log(summary);
  if (poisoned.length > 0) context.error(`messages in poison queues: ${poisoned.join(', ')} (docs/operations.md)`);
  // The import ledger of an earlier version (a partition per mailbox), moved over a few minutes per sweep until it is gone.
  const migration = await s.ledger.migrateLegacy(Date.now() + LEGACY_MIGRATION_BUDGET_MS);
  if (migration.moved > 0 || migration.more)
    context.log(
      `import ledger: moved ${migration.moved} row(s) of the earlier layout${migration.more ? '; more next sweep' : '; done, the old table is removed'}`,
    );
  // Rows of mapping uploads killed half-way that no later upload came to remove (an hour: none is still writing).
  for (const c of s.settings.connectors) await s.mapping.removeOrphans(c.id, new Date(Date.now() - 3_600_000));
  const purged = await s.runStatus.purgeRunsStartedBefore(new Date(Date.now() - s.settings.adminLogRetentionDays * 86_400_000));
  if (purged.length > 0)
    context.log(`admin log: removed ${purged.length} run(s) older than ${s.settings.adminLogRetentionDays} days (ADMIN_LOG_RETENTION_DAYS)`);
}

app.timer('reconciler', {
  schedule: RECONCILE_SCHEDULE,
  runOnStartup: false,
  useMonitor: true,
  handler: guarded(reconciler),
});
