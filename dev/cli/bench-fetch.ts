/**
 * `npm run bench:fetch [-- --items N] [--large-mb M]`: fetches one simulated day of N items (one of
 * them carrying an M MB recording) from the archiver simulator into Azurite through the real
 * fetcher, and prints items/s and peak RSS, plus the RSS growth while the large attachment alone
 * is fetched. Azurite and the simulator run in child processes, so only the fetcher is measured.
 * Figures, not assertions: timings on a shared machine are noisy.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadSettings } from '../../shared/app/settings';
import { createServices } from '../../shared/app/services';
import { ensureStorageLayout } from '../../shared/storage/provision';
import { fetchWindowPart } from '../../shared/fetching/fetch-window-part';
import type { FetchJob } from '../../shared/jobs/fetch-job';
import { startAzurite } from '../stack/azurite';
import { SeededItemSource } from '../stack/archiver-sim/item-source';
import { simulatorOptionsSchema } from '../stack/archiver-sim/options';
import { parseCommandLine, runCommand, wholeNumber } from './command-line';

const spec = {
  usage: 'npm run bench:fetch [-- --items N] [--large-mb M]',
  help: `Fetches one simulated day of N items (default 2,000), one of them carrying an M MB recording
(default 150), into Azurite through the real fetcher; prints items/s, peak RSS and the RSS growth
while the large attachment alone is fetched. Figures, not pass/fail.
  --items N      items in the day (at least 1)
  --large-mb M   size of the large recording in MB (0 for none)`,
  options: { items: { type: 'string' }, 'large-mb': { type: 'string' } },
} as const;

class RssSampler {
  peak = 0;
  private timer = setInterval(() => this.sample(), 10);
  sample(): number {
    const rss = process.memoryUsage.rss();
    this.peak = Math.max(this.peak, rss);
    return rss;
  }
  reset(): number {
    this.peak = 0;
    return this.sample();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const MB = 1024 * 1024;
const fmt = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

async function startSimulatorProcess(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'stack', 'archiver-sim', 'main.js'), '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(c.toString());
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

async function main(): Promise<number> {
  const { values } = parseCommandLine(spec);
  const items = wholeNumber(values.items, '--items', 2000, { min: 1 });
  const largeMb = wholeNumber(values['large-mb'], '--large-mb', 150, { min: 0 });
  const product = 'o2-network';
  const sampler = new RssSampler();
  const azurite = await startAzurite();
  const sim = await startSimulatorProcess({
    ...process.env,
    ARCHIVER_SIM_ITEMS_PER_DAY: String(items),
    ARCHIVER_SIM_LARGE_ATTACHMENT_MB: String(largeMb),
    ARCHIVER_SIM_FAULTS: '',
  });
  try {
    const settings = loadSettings({
      AzureWebJobsStorage: azurite.connectionString,
      ARCHIVE_SCHEDULE: '0 0 2 * * *',
      ARCHIVE_CONNECTORS: 'bench',
      CONNECTOR__BENCH__PRODUCT: product,
      CONNECTOR__BENCH__ARCHIVER_URL: sim.url,
      CONNECTOR__BENCH__USERNAME: 'bench',
      CONNECTOR__BENCH__PASSWORD: simulatorOptionsSchema.parse({}).password,
      FETCH_PART_SECONDS: '1800',
      FETCH_PAGE_SIZE: '500',
    });
    const services = createServices(settings, undefined);
    await ensureStorageLayout(services.storage);
    const day = { from: new Date('2026-03-09T00:00:00Z'), to: new Date('2026-03-10T00:00:00Z') };
    const source = new SeededItemSource({ seed: simulatorOptionsSchema.parse({}).seed, itemsPerDay: items, largeAttachmentBytes: largeMb * MB });
    const list = await source.listWindow(product, day.from, day.to);
    const fetchWindow = async (runId: string, from: Date, to: Date) => {
      await services.checkpoints.claim('bench', await services.checkpoints.read('bench'), {
        runId,
        from,
        to,
        state: 'dispatched',
        claimedAt: new Date(),
        leaseUntil: new Date(Date.now() + 3_600_000),
      });
      const job: FetchJob = { version: 1, runId, connectorId: 'bench', window: { from: from.toISOString(), to: to.toISOString() }, part: 0 };
      return fetchWindowPart(job, services);
    };

    console.log(`bench:fetch: ${items} ${product} items in one day${largeMb > 0 ? `, the first carrying a ${largeMb} MB recording` : ''}`);
    if (largeMb > 0 && list.length > 1) {
      const base = sampler.reset();
      const started = Date.now();
      await fetchWindow('bench-large', list[0].archivedAt, list[1].archivedAt);
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `  large attachment: ${largeMb} MB in ${seconds.toFixed(1)} s (${(largeMb / seconds).toFixed(1)} MB/s); RSS ${fmt(base)} -> peak ${fmt(sampler.peak)}, growth ${fmt(sampler.peak - base)} (target < 100 MB)`,
      );
    }
    const base = sampler.reset();
    const started = Date.now();
    const result = await fetchWindow('bench-day', day.from, day.to);
    const seconds = (Date.now() - started) / 1000;
    const stored = result.written + result.present;
    console.log(
      `  whole day: ${stored} items (${result.written} written, ${result.present} already present) in ${seconds.toFixed(1)} s = ${(stored / seconds).toFixed(0)} items/s; RSS ${fmt(base)} -> peak ${fmt(sampler.peak)}`,
    );
    return 0;
  } finally {
    sampler.stop();
    sim.stop();
    await azurite.stop();
  }
}

runCommand(main, { stack: true });
