/**
 * `npm start [-- --once]`: the local stack plus the dev host running the app's real functions.
 * One archive cycle runs at once (every timer function is invoked, as `func`'s admin endpoint
 * would), with live progress and a summary; then the schedule takes over until Ctrl-C. With
 * --once it exits when every queue a function consumes is drained, non-zero if anything failed,
 * and writes the run report to .local/last-run.json. With --attach it starts no Azurite or
 * simulator and uses the ones already running at the addresses in the settings.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SettingsError } from '../../shared/config/problems';
import { RunStatusStore } from '../../shared/runs/run-status';
import { UnmappedStore } from '../../shared/importing/unmapped';
import { tables } from '../../shared/storage/names';
import { startLocalStack, type LocalStack } from '../stack/local-stack';
import { DevHost, functionFiles, loadFunctions, type PoisonEvent } from '../stack/host/dev-host';
import type { InvocationEnd } from '../stack/host/invoker';
import { Progress } from '../stack/progress';
import { buildRunReport, formatConnectorLines, formatConnectorTable, type FailureReport, type RunReport } from '../stack/run-report';
import { nextOccurrence } from '../../shared/config/ncrontab';
import { importItemId, importMailbox } from '../../shared/runs/run-status';
import { auditMailboxes } from '../stack/mailbox-audit';
import { DeadLetterStore } from '../../shared/runs/dead-letters';
import { appRoot } from '../stack/app-root';
import { parseCommandLine, runCommand, wholeNumber } from './command-line';

interface Options {
  once: boolean;
  timeoutMinutes: number;
  /** Where Azurite's data, the function log and the report go (default .local/). */
  dataDir?: string;
  attach: boolean;
  /** Where the status page and operator API answer on 127.0.0.1 (0: any free port). */
  httpPort: number;
}

/** How long stopping waits for running invocations before the process exits anyway. */
const STOP_GRACE_MS = 30_000;
const spec = {
  usage: 'npm start [-- --once] [--attach] [--timeout-minutes N] [--data-dir DIR] [--http-port N]',
  help: `Starts Azurite, the archiver and Graph simulators and the app's real functions, runs one archive
cycle at once with live progress, then runs on the schedule until Ctrl-C.
  --once               exit when the cycle is done: 0 if everything was imported or reported, 1 if not
  --attach             use the Azurite and simulators already running at the addresses in the settings
  --timeout-minutes N  give up waiting for the cycle after N minutes (default 60)
  --data-dir DIR       where Azurite's data, the function log and the report go (default .local)
  --http-port N        the status page and operator API on 127.0.0.1:N (default 7071, as func start; 0: any free port)`,
  options: {
    once: { type: 'boolean' },
    attach: { type: 'boolean' },
    'timeout-minutes': { type: 'string' },
    'data-dir': { type: 'string' },
    'http-port': { type: 'string' },
  },
} as const;

function parseOptions(argv: string[]): Options {
  const { values } = parseCommandLine(spec, argv);
  return {
    once: values.once ?? false,
    attach: values.attach ?? false,
    timeoutMinutes: wholeNumber(values['timeout-minutes'], '--timeout-minutes', 60, { min: 1 }),
    dataDir: values['data-dir'] === undefined ? undefined : resolve(values['data-dir']),
    httpPort: wholeNumber(values['http-port'], '--http-port', 7071, { min: 0, max: 65535 }),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const progress = new Progress();
  const sessionStart = new Date();
  let stack: LocalStack;
  try {
    stack = await startLocalStack(appRoot, options.dataDir, { attach: options.attach });
  } catch (err) {
    console.error(err instanceof SettingsError ? `local.settings.json: ${err.message}` : `could not start the local stack: ${(err as Error).message}`);
    return 2;
  }
  for (const note of stack.notes) progress.note(note);
  const logFile = join(stack.localDir, 'host.log');
  progress.note(`Azurite is up (data in ${stack.localDir}/azurite); function logs go to ${stack.localDir}/host.log`);

  const invocations: RunReport['invocations'] = {};
  const poisoned: PoisonEvent[] = [];
  const host = new DevHost(loadFunctions(functionFiles(appRoot)), {
    appRoot,
    httpPort: options.httpPort,
    log: (level, fn, message) => {
      appendFileSync(logFile, `${new Date().toISOString()} ${level.padEnd(11)} [${fn}] ${message}\n`);
      if (level === 'error' || level === 'critical') progress.note(`error [${fn}] ${message}`);
    },
  });
  host.on('invocation', (e: InvocationEnd) => {
    const counts = (invocations[e.functionName] ??= { succeeded: 0, failed: 0 });
    if (e.error) counts.failed++;
    else counts.succeeded++;
  });
  host.on('poison', (e: PoisonEvent) => poisoned.push(e));

  const runStatus = new RunStatusStore(stack.storage.table(tables.runStatus));
  const unmappedStore = new UnmappedStore(stack.storage.table(tables.unmapped));
  const sources = {
    unmapped: unmappedStore,
    deadLetters: new DeadLetterStore(stack.storage.table(tables.deadLetters)),
    queue: (name: string) => stack.storage.queue.getQueueClient(name),
  };
  const graphSimUrl = stack.graphSimUrl;
  const ledger = stack.storage.table(tables.importLedger);
  const report = (final = false) =>
    buildRunReport(
      runStatus,
      { startedAt: sessionStart, invocations, poisoned },
      // The mailbox audit reads every simulated mailbox: once, at the end.
      final && graphSimUrl ? { ...sources, audit: () => auditMailboxes(graphSimUrl, ledger) } : sources,
    );
  // A report scans the run status of the session, which grows with it: one build at a time, and
  // after a build of N ms the next waits 10 N ms, so the display costs Azurite a tenth of its time
  // at most (rebuilt twice a second regardless, a 10,000-item cycle spent most of it here).
  let building = false;
  let nextBuildAt = 0;
  /** `now`: the last frame before the summary, whatever the pace. */
  const render = async (now = false) => {
    // After the summary the live block is gone: no report is built for nobody (a scan of the run status).
    if (progress.closed || (!now && (building || Date.now() < nextBuildAt))) return;
    building = true;
    const started = Date.now();
    let r: RunReport;
    try {
      r = await report();
    } finally {
      building = false;
      nextBuildAt = Date.now() + 10 * (Date.now() - started);
    }
    const ran = host.functionNames.filter((f) => invocations[f]);
    const fnLine = ran.map((f) => `${f} ${invocations[f].succeeded}${invocations[f].failed > 0 ? `/${invocations[f].failed} failed` : ''}`).join(', ');
    progress.update([`invocations: ${fnLine || 'none yet'}`, ...formatConnectorTable(r.connectors)], formatConnectorLines(r.connectors));
  };
  const ticker = setInterval(() => void render().catch(() => undefined), progress.interactive ? 500 : 5000);

  let stopping = false;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    if (stopping) return;
    stopping = true;
    abort.abort();
    progress.note('stopping (Ctrl-C): letting running invocations finish ...');
  });

  try {
    return await runCycle(host, stack, options, progress, abort, report, render);
  } finally {
    clearInterval(ticker);
    // Running invocations get a grace period to finish; the process exits after it regardless.
    const grace = new Promise<void>((done) => setTimeout(done, STOP_GRACE_MS).unref());
    await Promise.race([host.stop().catch(() => undefined), grace]);
    await Promise.race([stack.stop(), grace]);
  }
}

async function runCycle(
  host: DevHost,
  stack: LocalStack,
  options: Options,
  progress: Progress,
  abort: AbortController,
  report: (final?: boolean) => Promise<RunReport>,
  render: (now?: boolean) => Promise<void>,
): Promise<number> {
  try {
    await host.start();
  } catch (err) {
    console.error(err instanceof SettingsError ? err.message : `the app failed to start: ${(err as Error).message}`);
    return 2;
  }
  progress.note(`functions: ${host.functionNames.join(', ')}; running one archive cycle now`);
  if (host.httpUrl) progress.note(`status page: ${host.httpUrl}/api/status (operator API under ${host.httpUrl}/api/operator/; 127.0.0.1 only)`);
  const timers = host.functionNames.filter((f) => host.triggerType(f)?.toLowerCase() === 'timertrigger');
  for (const name of timers) await host.runNow(name).catch(() => undefined);

  let finished = true;
  try {
    await host.waitForIdle({ timeoutMs: options.timeoutMinutes * 60_000, signal: abort.signal });
  } catch (err) {
    finished = false;
    // Jobs waiting out a back-off (a mailbox or the archiver failing) keep their queue non-empty until RETRY_HORIZON_MINUTES.
    if (!abort.signal.aborted)
      progress.note(
        `the cycle did not finish: ${(err as Error).message}; jobs still queued (retries wait up to RETRY_HORIZON_MINUTES before they count as failed)`,
      );
  }
  await render(true);
  progress.done();
  const final = await report(true);
  writeFileSync(join(stack.localDir, 'last-run.json'), `${JSON.stringify(final, null, 2)}\n`);
  console.log(`\ncycle ${final.ok ? 'finished' : 'finished with failures'}; report in ${join(stack.localDir, 'last-run.json')}`);
  for (const line of formatConnectorTable(final.connectors)) console.log(`  ${line}`);
  for (const run of final.runs.filter((r) => r.earlier)) {
    console.log(`  earlier run ${run.runId} (items re-driven in this session; its own counts):`);
    for (const line of formatConnectorTable(run.connectors).slice(1)) console.log(`  ${line}`);
  }
  for (const f of final.failures.slice(0, 20)) console.log(`  failed: ${describeFailure(f)}`);
  if (final.failures.length > 20) console.log(`  ... and ${final.failures.length - 20} more failures in the report`);
  for (const q of final.poisonQueues.filter((p) => p.messages > 0)) console.log(`  ${q.queue}: ${q.messages} message(s): ${q.examples.slice(0, 3).join('; ')}`);
  if (final.failures.length > 0) console.log(`  once the cause is fixed: npm run redrive -- --failed <connector> (or the status page's Re-drive)`);
  if (final.audit && (final.audit.duplicates.length > 0 || final.audit.gaps.length > 0)) {
    console.log(`  mailbox audit: ${final.audit.duplicates.length} duplicated copies, ${final.audit.gaps.length} ledger rows without their message`);
  }
  for (const [connector, items] of Object.entries(final.unmapped)) {
    console.log(
      `  ${connector}: ${items.length} item(s) map to no mailbox (reasons in the report); after fixing the mapping: npm run redrive -- --unmapped ${connector}`,
    );
  }

  if (options.once || abort.signal.aborted) return final.ok && finished && !abort.signal.aborted ? 0 : 1;
  const schedule = stack.settings.schedule;
  progress.note(`running on schedule ${schedule} (UTC) until Ctrl-C; next run ${nextOccurrence(schedule, new Date()).toISOString()}`);
  host.on('invocation', (e: InvocationEnd) => {
    if (e.functionName === 'scheduler')
      progress.note(`scheduled run dispatched at ${new Date().toISOString()}; next run ${nextOccurrence(schedule, new Date()).toISOString()}`);
  });
  await new Promise<void>((done) => abort.signal.addEventListener('abort', () => done(), { once: true }));
  return 0;
}

/** "connector enterprise, import, item X, mailbox Y: reason": every failure named the same way. */
function describeFailure(f: FailureReport): string {
  const mailbox = f.stage === 'import' ? importMailbox(f.key) : undefined;
  const item = f.stage === 'import' ? importItemId(f.key) : f.key;
  return `connector ${f.connectorId}, ${f.stage}, ${f.stage === 'connector' ? 'window' : 'item'} ${item}${mailbox ? `, mailbox ${mailbox}` : ''}: ${f.reason}`;
}

runCommand(main, { stack: true });
