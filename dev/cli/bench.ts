/**
 * `npm run bench [-- --items N]` (default 10,000): one archive cycle of N items through the real
 * functions on the dev host (scheduler, fetcher, converter, importer) against Azurite and the two
 * simulators, each in its own process. Prints end-to-end items/s, Graph requests per imported
 * mailbox copy, storage operations per item (the app's own, the Functions host's and the dev
 * host's, and the app's by kind) and this process's peak RSS. `--ratio` runs 500 and 5,000 items
 * (each cycle in a process of its own) and prints how throughput holds with volume. Figures with
 * the goals beside them, not assertions: timings on a shared machine are noisy, ratios less so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAzurite } from '../stack/azurite';
import { DevHost, functionFiles, loadFunctions } from '../stack/host/dev-host';
import { loadSettings } from '../../shared/app/settings';
import { createStorageClients } from '../../shared/storage/clients';
import { ensureStorageLayout } from '../../shared/storage/provision';
import { RunStatusStore } from '../../shared/runs/run-status';
import { queues, tables } from '../../shared/storage/names';
import type { StorageClients } from '../../shared/storage/clients';
import { buildRunReport } from '../stack/run-report';
import { appRoot } from '../stack/app-root';
import { spawnServer } from '../stack/serve';
import { parseCommandLine, runCommand, wholeNumber } from './command-line';
import { MappingStore } from '../../shared/mapping/mapping-store';
import { applyMappingUpload } from '../../shared/mapping/apply-upload';
import { StorageAccounting, type StorageShare } from '../stack/storage-accounting';

const spec = {
  usage: 'npm run bench [-- --items N | --ratio | --large-mb M | --instances K | --mapping-rows N]',
  help: `Runs one archive cycle of N items (default 10,000) through the real functions on the dev host
against Azurite and the two simulators, and prints items/s, Graph requests per mailbox copy, storage
operations per item (by share and kind) and peak RSS. Figures, not pass/fail: timings on a shared
machine are noisy.
  --items N          how many items (at least 3, split over the three products)
  --ratio            instead: a cycle of 500 items, then one of 5,000, each in its own process; prints
                     both and the ratio of their items/s (goal: at least 0.9)
  --large-mb M       instead: one item carrying an M MB recording (e.g. 150) through fetch, convert and
                     import against the Graph simulator's upload budget; prints the RSS growth (goal:
                     at most 150 MB) and whether the copy landed
  --instances K      instead: K dev hosts (processes) on one Azurite and one Graph simulator import a
                     cycle of --items (default 2,000) against a mailbox budget scaled to 100 requests per
                     60 s (Exchange's window is 10 minutes), so a few thousand copies reach it; prints the 429 share
                     (goal: under 1 %) and each busy mailbox's throughput against that ceiling (goal:
                     at least 95 %)
  --mapping-rows N   instead: import a custom mapping CSV of N rows (e.g. 100000) and print how long it took
  --json             print the cycle's figures as one JSON line (what --ratio reads)`,
  options: {
    items: { type: 'string' },
    ratio: { type: 'boolean' },
    'large-mb': { type: 'string' },
    'mapping-rows': { type: 'string' },
    instances: { type: 'string' },
    worker: { type: 'boolean' },
    json: { type: 'boolean' },
  },
} as const;

/** Goals of issue 13, printed beside the figures. */
const GOALS = { storageOpsPerItem: 8, graphPerCopy: 1.05, ratio: 0.9, largeRssGrowthMb: 150, throttledShare: 0.01, ceilingShare: 0.95 };
/** The mailbox budget of --instances: Exchange's rate (10,000 per 600 s is 16.7/s) scaled down, so a few thousand copies reach it. */
const SCALED = { requests: 100, windowSeconds: 60, latencyMs: 20 };

interface CycleFigures {
  items: number;
  converted: number;
  copies: number;
  unmapped: number;
  failed: number;
  seconds: number;
  /** False when the cycle did not end within its time limit (the figures are what it did until then). */
  finished: boolean;
  graphRequests: number;
  /** Graph answers 429, by the limit that was hit. */
  graphThrottled: { concurrency: number; rate: number; upload: number };
  graphByRoute: [string, number][];
  /** Per mailbox, as the Graph simulator counted: admitted, answered 429, first and last admitted (ms). */
  graphByMailbox: Record<string, { admitted: number; throttled: number; first: number; last: number; windows: number[] }>;
  storage: Record<StorageShare, number>;
  appByKind: [string, number][];
  peakRssMb: number;
  /** RSS when the cycle started (the dev host and functions loaded): the peak's growth is measured from it. */
  baseRssMb: number;
}

interface CycleOptions {
  items: number;
  chatty: boolean;
  /** One connector with one item a day, that item carrying this many MB (0: the three products, no large item). */
  largeMb?: number;
  timeoutMs?: number;
  /** Dev hosts in all (this process and instances - 1 workers), with the scaled mailbox budget. */
  instances?: number;
}

async function main(): Promise<number> {
  const { values } = parseCommandLine(spec);
  if (values.worker) return runWorker();
  if (values.instances !== undefined)
    return benchInstances(wholeNumber(values.instances, '--instances', 3, { min: 2, max: 8 }), wholeNumber(values.items, '--items', 2_000, { min: 3 }));
  if (values['mapping-rows'] !== undefined) return benchMapping(wholeNumber(values['mapping-rows'], '--mapping-rows', 100_000, { min: 1, max: 1_000_000 }));
  if (values.ratio) return benchRatio();
  if (values['large-mb'] !== undefined) return benchLarge(wholeNumber(values['large-mb'], '--large-mb', 150, { min: 1, max: 150 }));
  const figures = await runCycle({ items: wholeNumber(values.items, '--items', 10_000, { min: 3 }), chatty: !values.json });
  if (values.json) console.log(JSON.stringify(figures));
  else printCycle(figures);
  return 0;
}

/** 500 then 5,000 items, each cycle in a fresh process with its own Azurite and simulators. */
async function benchRatio(): Promise<number> {
  const results: CycleFigures[] = [];
  for (const items of [500, 5_000]) {
    console.log(`bench --ratio: a cycle of ${items} items in its own process...`);
    const figures = await cycleInChild(items);
    // The per-item goals are read on the larger cycle: in 500 items, the one-off look-ups of each
    // mailbox and folder (about 8 Graph requests per mailbox) and each run's own rows weigh 10 times more.
    printCycle(figures, { goals: items !== 500 });
    results.push(figures);
  }
  const [small, large] = results.map((f) => f.items / f.seconds);
  console.log(
    `  throughput with volume: ${large.toFixed(1)} items/s at ${results[1].items} items / ${small.toFixed(1)} items/s at ${results[0].items} items = ${(large / small).toFixed(2)} (goal: at least ${GOALS.ratio})`,
  );
  return 0;
}

/** One item with an M MB recording through the three stages, in this process, against the simulator's real upload budget. */
async function benchLarge(mb: number): Promise<number> {
  console.log(`bench --large-mb: one item carrying a ${mb} MB recording through fetch, convert and import (at most 30 min)`);
  const f = await runCycle({ items: 1, chatty: false, largeMb: mb, timeoutMs: 30 * 60_000 });
  const growth = f.peakRssMb - f.baseRssMb;
  console.log(
    `  ${f.finished ? 'finished' : 'did NOT finish'} in ${f.seconds.toFixed(1)} s: ${f.items} item fetched, ${f.converted} converted, ${f.copies} mailbox copies imported, ${f.failed} failed`,
  );
  console.log(
    `  Graph: ${f.graphRequests} requests; answered 429 for the upload budget ${f.graphThrottled.upload} times, for concurrency ${f.graphThrottled.concurrency}, for the request rate ${f.graphThrottled.rate}`,
  );
  console.log(`  RSS: ${f.baseRssMb} MB at the start, peak ${f.peakRssMb} MB: growth ${growth} MB (goal: at most ${GOALS.largeRssGrowthMb} MB)`);
  return 0;
}

function cycleInChild(items: number): Promise<CycleFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--items', String(items), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`the ${items}-item cycle exited with ${code}`));
      try {
        resolve(JSON.parse(line) as CycleFigures);
      } catch {
        reject(new Error(`the ${items}-item cycle printed no figures: ${line.slice(0, 200)}`));
      }
    });
  });
}

const PRODUCTS = { enterprise: 'enterprise-number', o2: 'o2-network', whatsapp: 'whatsapp' } as const;
const DAY_MS = 24 * 3600_000;

async function runCycle({ items, chatty, largeMb = 0, timeoutMs = 60 * 60_000, instances = 1 }: CycleOptions): Promise<CycleFigures> {
  const connectors = largeMb > 0 ? (['enterprise'] as const) : (['enterprise', 'o2', 'whatsapp'] as const);
  const perProduct = largeMb > 0 ? 1 : Math.ceil(items / 3);
  // A large item is the first of each simulated day: the window is exactly the day before yesterday, so one item.
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const oneDay: Record<string, string> =
    largeMb > 0
      ? { START_FROM: new Date(today - 2 * DAY_MS).toISOString(), SAFETY_LAG_MINUTES: String(Math.ceil((Date.now() - (today - DAY_MS)) / 60_000)) }
      : {};
  const azurite = await startAzurite();
  const archiver = await spawnServer('archiver-sim/main.js', [], {
    ...process.env,
    ARCHIVER_SIM_ITEMS_PER_DAY: String(perProduct),
    ARCHIVER_SIM_LARGE_ATTACHMENT_MB: String(largeMb),
    ARCHIVER_SIM_FAULTS: '',
  });
  // A large item needs the mailbox size limit raised to Exchange's most (150 MB), as docs/deploy.md tells admins to.
  const scaled = instances > 1 ? `requestsPer10Minutes=${SCALED.requests},requestWindowSeconds=${SCALED.windowSeconds},latencyMs=${SCALED.latencyMs}` : '';
  const graph = await spawnServer('graph-sim/main.js', [], { ...process.env, GRAPH_SIM_FAULTS: largeMb > 0 ? 'maxMessageMb=150' : scaled });
  const workers: ChildProcess[] = [];
  const accounting = new StorageAccounting(azurite.ports);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), largeMb > 0 ? 10 : 50);
  try {
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      ARCHIVE_SCHEDULE: '0 0 2 * * *',
      ARCHIVE_CONNECTORS: connectors.join(','),
      ...Object.fromEntries(
        connectors.flatMap((id): [string, string][] => [
          [`CONNECTOR__${id.toUpperCase()}__PRODUCT`, PRODUCTS[id]],
          [`CONNECTOR__${id.toUpperCase()}__ARCHIVER_URL`, archiver.url],
          [`CONNECTOR__${id.toUpperCase()}__USERNAME`, `bench-${id}`],
          [`CONNECTOR__${id.toUpperCase()}__PASSWORD`, 'local-simulator-only'],
          ...Object.entries(oneDay).map(([name, value]): [string, string] => [`CONNECTOR__${id.toUpperCase()}__${name}`, value]),
        ]),
      ),
      GRAPH_ENDPOINT: graph.url,
      FETCH_PAGE_SIZE: '500',
      ...(instances > 1 ? { GRAPH_MAILBOX_REQUESTS: String(SCALED.requests), GRAPH_MAILBOX_REQUEST_WINDOW_SECONDS: String(SCALED.windowSeconds) } : {}),
    });
    const settings = loadSettings(process.env);
    const storage = createStorageClients(settings.storage);
    await ensureStorageLayout(storage, { devHost: true });
    const host = new DevHost(loadFunctions(functionFiles(appRoot)), {
      appRoot,
      log: () => undefined,
      hostConfig: { maxPollingIntervalMs: 500 },
    });
    await host.start();
    // The other instances: processes of their own on the same storage account and simulators.
    for (let i = 1; i < instances; i++) workers.push(await startWorker());
    if (chatty)
      console.log(`bench: one cycle of about ${perProduct * 3} items (3 products x ${perProduct}) through scheduler, fetcher, converter and importer`);
    const started = Date.now();
    accounting.start();
    const baseRss = process.memoryUsage.rss();
    peak = baseRss;
    await host.runNow('scheduler');
    let finished = true;
    await host.waitForIdle({ timeoutMs, pollMs: 500 }).catch(() => (finished = false));
    if (finished && workers.length > 0) finished = await othersDone(storage, started + timeoutMs);
    const seconds = (Date.now() - started) / 1000;
    accounting.stop();
    await host.stop();
    const report = await buildRunReport(new RunStatusStore(storage.table(tables.runStatus)), {
      startedAt: new Date(started - 1000),
      invocations: {},
      poisoned: [],
    });
    const sum = (k: 'fetched' | 'converted' | 'copies' | 'unmapped' | 'failed') => Object.values(report.connectors).reduce((n, c) => n + c[k], 0);
    const stats = (await (await fetch(`${graph.url}/_sim/stats`)).json()) as {
      requests: { total: number; byRoute: Record<string, number> };
      throttled: CycleFigures['graphThrottled'] & { byMailbox: CycleFigures['graphByMailbox'] };
    };
    return {
      items: sum('fetched'),
      converted: sum('converted'),
      copies: sum('copies'),
      unmapped: sum('unmapped'),
      failed: sum('failed'),
      seconds,
      finished,
      graphRequests: stats.requests.total,
      graphThrottled: { concurrency: stats.throttled.concurrency, rate: stats.throttled.rate, upload: stats.throttled.upload },
      graphByRoute: Object.entries(stats.requests.byRoute).sort(([, a], [, b]) => b - a),
      graphByMailbox: stats.throttled.byMailbox,
      storage: { app: accounting.total('app'), host: accounting.total('host'), 'dev-host': accounting.total('dev-host') },
      appByKind: accounting.byKind('app'),
      peakRssMb: Math.round(peak / 1048576),
      baseRssMb: Math.round(baseRss / 1048576),
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(workers.map(stopWorker));
    archiver.proc.kill();
    graph.proc.kill();
    await azurite.stop();
  }
}

/** K dev hosts import one cycle against the scaled mailbox budget: how many 429s, and how close each busy mailbox came to its ceiling. */
async function benchInstances(instances: number, items: number): Promise<number> {
  console.log(
    `bench --instances ${instances}: ${instances} dev hosts, one Azurite, one Graph simulator; mailbox budget ${SCALED.requests} requests per ${SCALED.windowSeconds} s, 4 at once`,
  );
  const f = await runCycle({ items, chatty: false, instances, timeoutMs: 30 * 60_000 });
  console.log(
    `  ${f.finished ? 'finished' : 'did NOT finish'} in ${f.seconds.toFixed(1)} s: ${f.items} items, ${f.copies} mailbox copies imported, ${f.failed} failed`,
  );
  const mailboxes = Object.entries(f.graphByMailbox);
  const admitted = mailboxes.reduce((n, [, m]) => n + m.admitted, 0);
  const throttled = mailboxes.reduce((n, [, m]) => n + m.throttled, 0);
  console.log(
    `  Graph: ${admitted} requests to mailboxes, ${throttled} answered 429 = ${((100 * throttled) / Math.max(1, admitted + throttled)).toFixed(2)} % ` +
      `(goal: under ${GOALS.throttledShare * 100} %; by limit: concurrency ${f.graphThrottled.concurrency}, rate ${f.graphThrottled.rate}, upload ${f.graphThrottled.upload})`,
  );
  // The ceiling is a count per window: a mailbox's share is what it was admitted in its full windows
  // (every one but the last, in which its work ran out) against the limit's count in them. Windows
  // after that with under a tenth of the ceiling hold stragglers (a copy retried late), not work.
  const worked = (windows: number[]) => {
    let end = windows.length;
    while (end > 1 && windows[end - 1] < SCALED.requests / 10) end--;
    return windows.slice(0, end);
  };
  const busy = mailboxes
    .filter(([, m]) => worked(m.windows).length >= 2)
    .map(([user, m]) => {
      const full = worked(m.windows).slice(0, -1);
      return { user, share: full.reduce((n, c) => n + c, 0) / (full.length * SCALED.requests), windows: m.windows };
    })
    .sort((a, b) => a.share - b.share);
  if (busy.length === 0) console.log(`  no mailbox had work for more than one window: raise --items`);
  else {
    console.log(
      `  requests admitted in each busy mailbox's full windows, against the ceiling (${SCALED.requests} per ${SCALED.windowSeconds} s), ${busy.length} mailboxes: ` +
        `lowest ${(100 * busy[0].share).toFixed(1)} %, median ${(100 * busy[Math.floor(busy.length / 2)].share).toFixed(1)} % (goal: at least ${GOALS.ceilingShare * 100} %)`,
    );
    console.log(
      `    the lowest mailbox's requests per window: ${busy[0].windows.join(', ')} (the last one with work, and stragglers after it, are not counted)`,
    );
  }
  return 0;
}

/** A dev host in a process of its own, with this process's settings; resolves when it is running. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [__filename, '--worker'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  for (let waited = 0; !out.includes('ready'); waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`a bench worker did not start (exit ${child.exitCode})`);
    await sleep(100);
  }
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

/** `--worker`: the functions on a dev host until SIGTERM (the settings come from the environment). */
async function runWorker(): Promise<number> {
  const host = new DevHost(loadFunctions(functionFiles(appRoot)), { appRoot, log: () => undefined, hostConfig: { maxPollingIntervalMs: 500 } });
  await host.start();
  console.log('ready');
  await once(process, 'SIGTERM');
  await host.stop();
  return 0;
}

/** With other instances at work, this host's idleness is not the end: the shared queues must stay empty and every fetched item be converted. */
async function othersDone(storage: StorageClients, deadline: number): Promise<boolean> {
  const depth = async () => {
    let n = 0;
    for (const q of [queues.fetchJobs, queues.convertJobs, queues.importJobs])
      n += (await storage.queue.getQueueClient(q).getProperties()).approximateMessagesCount ?? 0;
    return n;
  };
  for (let quiet = 0; Date.now() < deadline;) {
    quiet = (await depth()) === 0 ? quiet + 1 : 0;
    if (quiet >= 5) return true;
    await sleep(1_000);
  }
  return false;
}

function printCycle(f: CycleFigures, { goals = true } = {}): void {
  const perItem = (n: number) => (n / Math.max(1, f.items)).toFixed(2);
  const goal = (text: string) => (goals ? `; goal: ${text}` : '; goals are read on a larger cycle');
  console.log(`  items: ${f.items} fetched, ${f.converted} converted, ${f.copies} mailbox copies imported, ${f.unmapped} unmapped, ${f.failed} failed`);
  console.log(`  end to end: ${f.seconds.toFixed(1)} s = ${(f.items / f.seconds).toFixed(1)} items/s${f.finished ? '' : ' (did NOT finish in time)'}`);
  console.log(
    `  Graph requests per imported copy: ${(f.graphRequests / Math.max(1, f.copies)).toFixed(3)} (${f.graphRequests} requests${goal(`at most ${GOALS.graphPerCopy}`)})`,
  );
  // Which calls they were: creates should be all but the one-off look-ups of users and folders.
  const readable = (route: string) => route.replaceAll('([^/]+)', '{}').replaceAll('\\/', '/').replace(/[\^$]/g, '');
  console.log(`    ${f.graphByRoute.map(([route, count]) => `${readable(route)} ${count}`).join(', ')}`);
  console.log(
    `  storage operations per item: the app's own ${perItem(f.storage.app)} (${goal(`at most ${GOALS.storageOpsPerItem}`).slice(2)}), ` +
      `the Functions host's ${perItem(f.storage.host)}, the dev host's ${perItem(f.storage['dev-host'])}`,
  );
  console.log(`    the app's by kind, per item: ${f.appByKind.map(([kind, n]) => `${kind} ${perItem(n)}`).join(', ')}`);
  console.log(`  peak RSS of the app process: ${f.peakRssMb} MB`);
}

/** A custom mapping upload of `rows` rows against Azurite, as `mapping import` applies it: parse, check, write, switch, clean up. */
async function benchMapping(rows: number): Promise<number> {
  const azurite = await startAzurite();
  try {
    const storage = createStorageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    await ensureStorageLayout(storage, { devHost: false });
    const mapping = new MappingStore(storage.table(tables.mapping));
    const csv = Array.from({ length: rows }, (_, i) => `+447400${String(i).padStart(6, '0')},user${i}@contoso.example`).join('\n');
    for (const round of ['first upload', 'replacing it']) {
      const started = Date.now();
      const result = await applyMappingUpload('enterprise', Buffer.from(csv), 'bench.csv', { mapping, defaultRegion: 'GB' });
      const seconds = (Date.now() - started) / 1000;
      if (!result.accepted) throw new Error(`the bench mapping was refused: ${result.problems[0]?.problem}`);
      console.log(`  mapping import, ${round}: ${rows} rows in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s (goal: 100,000 rows under 60 s)`);
    }
    return 0;
  } finally {
    await azurite.stop();
  }
}

runCommand(main, { stack: true });
