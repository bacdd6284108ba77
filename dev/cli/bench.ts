/**
 * `npm run bench [-- --items N]` (default 10,000): one archive cycle of N items through the real
 * functions on the dev host (scheduler, fetcher, converter, importer) against Azurite and the two
 * simulators, each in its own process. Prints end-to-end items/s, Graph requests per imported
 * mailbox copy, storage operations per item and this process's peak RSS. Figures, not assertions.
 */
import { subscribe } from 'node:diagnostics_channel';
import { startAzurite } from '../stack/azurite';
import { DevHost, functionFiles, loadFunctions } from '../stack/host/dev-host';
import { loadSettings } from '../../shared/app/settings';
import { createStorageClients } from '../../shared/storage/clients';
import { ensureStorageLayout } from '../../shared/storage/provision';
import { RunStatusStore } from '../../shared/runs/run-status';
import { tables } from '../../shared/storage/names';
import { buildRunReport } from '../stack/run-report';
import { appRoot } from '../stack/app-root';
import { spawnServer } from '../stack/serve';
import { parseCommandLine, runCommand, wholeNumber } from './command-line';
import { MappingStore } from '../../shared/mapping/mapping-store';
import { applyMappingUpload } from '../../shared/mapping/apply-upload';

const spec = {
  usage: 'npm run bench [-- --items N] [--mapping-rows N]',
  help: `Runs one archive cycle of N items (default 10,000) through the real functions on the dev host
against Azurite and the two simulators, and prints items/s, Graph requests per mailbox copy, storage
operations per item and peak RSS. Figures, not pass/fail: timings on a shared machine are noisy.
  --items N          how many items (at least 3, split over the three products)
  --mapping-rows N   instead: import a custom mapping CSV of N rows (e.g. 100000) and print how long it took`,
  options: { items: { type: 'string' }, 'mapping-rows': { type: 'string' } },
} as const;

async function main(): Promise<number> {
  const { values } = parseCommandLine(spec);
  if (values['mapping-rows'] !== undefined) return benchMapping(wholeNumber(values['mapping-rows'], '--mapping-rows', 100_000, { min: 1, max: 1_000_000 }));
  const items = wholeNumber(values.items, '--items', 10_000, { min: 3 });
  const perProduct = Math.ceil(items / 3);
  const azurite = await startAzurite();
  const archiver = await spawnServer('archiver-sim/main.js', [], {
    ...process.env,
    ARCHIVER_SIM_ITEMS_PER_DAY: String(perProduct),
    ARCHIVER_SIM_LARGE_ATTACHMENT_MB: '0',
    ARCHIVER_SIM_FAULTS: '',
  });
  const graph = await spawnServer('graph-sim/main.js', [], { ...process.env, GRAPH_SIM_FAULTS: '' });
  const storagePorts = new Set(Object.values(azurite.ports).map(String));
  let storageOps = 0;
  subscribe('http.client.request.start', (message) => {
    const header = (message as { request: { getHeader(n: string): unknown } }).request.getHeader('host');
    const host = typeof header === 'string' ? header : '';
    if (storagePorts.has(host.split(':')[1] ?? '')) storageOps++;
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  try {
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      ARCHIVE_SCHEDULE: '0 0 2 * * *',
      ARCHIVE_CONNECTORS: 'enterprise,o2,whatsapp',
      ...Object.fromEntries(
        (['enterprise', 'o2', 'whatsapp'] as const).flatMap((id, i) => [
          [`CONNECTOR__${id.toUpperCase()}__PRODUCT`, ['enterprise-number', 'o2-network', 'whatsapp'][i]],
          [`CONNECTOR__${id.toUpperCase()}__ARCHIVER_URL`, archiver.url],
          [`CONNECTOR__${id.toUpperCase()}__USERNAME`, `bench-${id}`],
          [`CONNECTOR__${id.toUpperCase()}__PASSWORD`, 'local-simulator-only'],
        ]),
      ),
      GRAPH_ENDPOINT: graph.url,
      FETCH_PAGE_SIZE: '500',
    });
    const settings = loadSettings(process.env);
    const storage = createStorageClients(settings.storage);
    await ensureStorageLayout(storage, { devHost: true });
    const host = new DevHost(loadFunctions(functionFiles(appRoot)), {
      appRoot,
      log: () => undefined,
      hostConfig: { maxPollingIntervalMs: 500 },
      blobScanIntervalMs: 500,
    });
    await host.start();
    console.log(`bench: one cycle of about ${perProduct * 3} items (3 products x ${perProduct}) through scheduler, fetcher, converter and importer`);
    const started = Date.now();
    storageOps = 0;
    await host.runNow('scheduler');
    await host.waitForIdle({ timeoutMs: 60 * 60_000, pollMs: 500 });
    const seconds = (Date.now() - started) / 1000;
    await host.stop();
    const report = await buildRunReport(new RunStatusStore(storage.table(tables.runStatus)), {
      startedAt: new Date(started - 1000),
      invocations: {},
      poisoned: [],
    });
    const sum = (k: 'fetched' | 'converted' | 'copies' | 'unmapped' | 'failed') => Object.values(report.connectors).reduce((n, c) => n + c[k], 0);
    const stats = (await (await fetch(`${graph.url}/_sim/stats`)).json()) as { requests: { total: number; byRoute: Record<string, number> } };
    console.log(
      `  items: ${sum('fetched')} fetched, ${sum('converted')} converted, ${sum('copies')} mailbox copies imported, ${sum('unmapped')} unmapped, ${sum('failed')} failed`,
    );
    console.log(`  end to end: ${seconds.toFixed(1)} s = ${(sum('fetched') / seconds).toFixed(1)} items/s`);
    console.log(`  Graph requests per imported copy: ${(stats.requests.total / Math.max(1, sum('copies'))).toFixed(2)} (${stats.requests.total} requests)`);
    const routes = Object.entries(stats.requests.byRoute).sort(([, a], [, b]) => b - a);
    // Which calls they were: creates should be all but the one-off look-ups of users and folders.
    const readable = (route: string) => route.replaceAll('([^/]+)', '{}').replaceAll('\\/', '/').replace(/[\^$]/g, '');
    console.log(`    ${routes.map(([route, count]) => `${readable(route)} ${count}`).join(', ')}`);
    console.log(
      `  storage operations per item: ${(storageOps / Math.max(1, sum('fetched'))).toFixed(1)} (${storageOps} operations, dev host polling included)`,
    );
    console.log(`  peak RSS of the app process: ${(peak / 1048576).toFixed(0)} MB`);
    return 0;
  } finally {
    clearInterval(sampler);
    archiver.proc.kill();
    graph.proc.kill();
    await azurite.stop();
  }
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
