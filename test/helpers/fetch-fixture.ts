/**
 * Azurite + archiver simulator + app services, and helpers to dispatch a window and run its
 * fetch jobs the way the queue would (parts and continuations, with the host's retry count).
 */
import { createHash } from 'node:crypto';
import { loadSettings } from '../../shared/app/settings';
import { createServices, type Services } from '../../shared/app/services';
import { dispatchFetches } from '../../shared/scheduling/dispatch-fetches';
import { parseFetchJob, type FetchJob } from '../../shared/jobs/fetch-job';
import { fetchWindowPart, type FetchDeps, type FetchPartResult } from '../../shared/fetching/fetch-window-part';
import { containers } from '../../shared/storage/names';
import { startArchiverSimulator, type ArchiverSimulator } from '../../dev/stack/archiver-sim/server';
import type { SimulatorOptionsInput } from '../../dev/stack/archiver-sim/options';
import { startTestStorage, type TestStorage } from './azurite';
import { validEnv } from './env';
import { drainQueue } from './queues';

export interface FetchFixture {
  ts: TestStorage;
  sim: ArchiverSimulator;
  services: Services;
  stop(): Promise<void>;
}

export async function startFetchFixture(sim: SimulatorOptionsInput, env: Record<string, string> = {}): Promise<FetchFixture> {
  const ts = await startTestStorage();
  const simulator = await startArchiverSimulator(sim);
  const settings = loadSettings(
    validEnv(ts.connectionString, {
      CONNECTOR__ENTERPRISE__ARCHIVER_URL: simulator.url,
      CONNECTOR__O2__ARCHIVER_URL: simulator.url,
      CONNECTOR__WHATSAPP__ARCHIVER_URL: simulator.url,
      CONNECTOR__ENTERPRISE__PASSWORD: 'local-simulator-only',
      CONNECTOR__O2__PASSWORD: 'local-simulator-only',
      CONNECTOR__WHATSAPP__PASSWORD: 'local-simulator-only',
      ...env,
    }),
  );
  const services = createServices(settings, ts.storage);
  return {
    ts,
    sim: simulator,
    services,
    stop: async () => {
      await simulator.close();
      await ts.stop();
    },
  };
}

/** Dispatches the connector's next window at `now` and returns its job (taken off the queue). */
export async function dispatchOne(services: Services, connectorId: string, now: Date, runId: string): Promise<FetchJob> {
  const only = { ...services.settings, connectors: services.settings.connectors.filter((c) => c.id === connectorId) };
  await dispatchFetches({ ...services, settings: only, now, runId });
  const jobs = await takeJobs(services);
  if (jobs.length !== 1) throw new Error(`expected one job, got ${jobs.length}`);
  return jobs[0];
}

export function takeJobs(services: Services): Promise<FetchJob[]> {
  return drainQueue(services.fetchQueue, parseFetchJob);
}

/**
 * Runs a job and every continuation it sends, retrying a failing part up to `attempts` times as
 * the queue would (host.json maxDequeueCount). Bounded: at most `maxParts` parts.
 */
export async function runJobChain(job: FetchJob, deps: FetchDeps, options: { attempts?: number; maxParts?: number } = {}): Promise<FetchPartResult[]> {
  const results: FetchPartResult[] = [];
  let queue: FetchJob[] = [job];
  for (let parts = 0; queue.length > 0; parts++) {
    if (parts >= (options.maxParts ?? 500)) throw new Error('too many parts');
    const next = queue.shift()!;
    for (let attempt = 1; ; attempt++) {
      try {
        results.push(await fetchWindowPart(next, deps));
        break;
      } catch (err) {
        if (attempt >= (options.attempts ?? 5)) throw err;
      }
    }
    queue = queue.concat(await takeJobs(deps as Services));
  }
  return results;
}

/** item blob path -> sha256 of its content, for every raw item of a connector. */
export async function rawItemBlobs(services: Services, connectorId: string): Promise<Map<string, string>> {
  const container = services.storage.blob.getContainerClient(containers.rawItems);
  const blobs = new Map<string, string>();
  for await (const b of container.listBlobsFlat({ prefix: `${connectorId}/` })) {
    const content = await container.getBlobClient(b.name).downloadToBuffer();
    blobs.set(b.name, createHash('sha256').update(content).digest('hex'));
  }
  return blobs;
}

/** The ids and exact lines the simulator holds for a window. */
export async function sourceItems(sim: ArchiverSimulator, product: string, window: { from: string; to: string }): Promise<Map<string, string>> {
  const items = await sim.source.listWindow(product, new Date(window.from), new Date(window.to));
  return new Map(items.map((i) => [i.id, createHash('sha256').update(i.line).digest('hex')]));
}
