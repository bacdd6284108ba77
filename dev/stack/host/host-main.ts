/**
 * The dev host alone in its own process, for the fault suite: the app's functions against the
 * storage and simulators named by the environment (app settings), which run in other processes, so
 * this one can be killed (-9) at any point and started again on the same durable state.
 *   node dist/dev/stack/host/host-main.js [--run-scheduler] [--duplicate-deliveries] [--timeout-ms N]
 * Exits 0 when every queue is drained, 3 when it is still busy at the timeout.
 */
import { appRoot } from '../app-root';
import { DevHost, functionFiles, loadFunctions } from './dev-host';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const timeoutAt = args.indexOf('--timeout-ms');
  const timeoutMs = timeoutAt >= 0 ? Number(args[timeoutAt + 1]) : 10 * 60_000;
  const host = new DevHost(loadFunctions(functionFiles(appRoot)), {
    appRoot,
    log: (level, fn, message) => {
      if (level === 'error' || level === 'critical' || level === 'warning') process.stderr.write(`${level} [${fn}] ${message}\n`);
    },
    // Fast polling and short leases: a killed invocation's message comes back within seconds.
    hostConfig: { maxPollingIntervalMs: 200, visibilityTimeoutMs: 500 },
    blobScanIntervalMs: 300,
    processingLeaseMs: 3000,
    duplicateDeliveries: args.includes('--duplicate-deliveries'),
  });
  await host.start();
  process.stdout.write('host started\n');
  if (args.includes('--run-scheduler')) await host.runNow('scheduler');
  try {
    await host.waitForIdle({ timeoutMs, pollMs: 300 });
  } catch {
    return 3;
  } finally {
    await host.stop();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
