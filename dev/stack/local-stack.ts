/**
 * The local stack both `npm start` and `npm run start:func` stand on: local.settings.json applied,
 * Azurite on the ports of AzureWebJobsStorage (data kept under .local/ so a restart resumes where
 * it stopped), and every container, queue and table of the storage layout created. With `attach`,
 * nothing is started: Azurite and the simulators already run at the addresses the settings name
 * (an Azurite of your own, or the fault suite's, which keeps them outside the process it kills).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadSettings, type AppSettings } from '../../shared/app/settings';
import { blobServiceFor, createStorageClients, type StorageClients } from '../../shared/storage/clients';
import { ensureStorageLayout } from '../../shared/storage/provision';
import { applyLocalSettings } from './local-settings';
import { portIsFree } from './ports';
import { sleep } from './host/sleep';
import { portsOfConnectionString, startAzurite, type RunningAzurite } from './azurite';
import { startArchiverSimulator } from './archiver-sim/server';
import { simulatorOptionsFromEnv } from './archiver-sim/options';
import { startGraphSimulator, type GraphSimulator } from './graph-sim/server';
import { deliverVendorItems } from './vendor-deliveries';
import { graphSimOptionsFromEnv } from './graph-sim/options';

export interface LocalStack {
  settings: AppSettings;
  storage: StorageClients;
  /** The Graph simulator's address, when GRAPH_ENDPOINT points at it (the run report audits its mailboxes). */
  graphSimUrl?: string;
  localDir: string;
  notes: string[];
  stop(): Promise<void>;
}

export async function startLocalStack(appRoot: string, dataDir?: string, options: { attach?: boolean } = {}): Promise<LocalStack> {
  const localDir = dataDir ?? join(appRoot, '.local');
  mkdirSync(localDir, { recursive: true });
  const notes: string[] = [];
  const { created, skipped } = applyLocalSettings(appRoot);
  if (created) notes.push('created local.settings.json from local.settings.sample.json');
  for (const name of skipped) notes.push(`using ${name} from the environment instead of local.settings.json`);

  const settings = loadSettings(process.env); // throws SettingsError naming each bad setting
  if (settings.storage.kind !== 'connectionString') {
    throw new Error('AzureWebJobsStorage must be an Azurite connection string (e.g. UseDevelopmentStorage=true) for the local stack');
  }
  if (options.attach) return attachToRunningStack(settings, localDir, notes);
  const ports = portsOfConnectionString(settings.storage.connectionString);
  for (const [service, port] of [
    ['blob', ports.blob],
    ['queue', ports.queue],
    ['table', ports.table],
  ] as const) {
    // An Azurite of a session that just ended may still be saving its data (azurite-child.ts): wait a little for it.
    if (!(await portFreesWithin(port, 15_000))) {
      throw new Error(
        `port ${port} (Azurite ${service}) is in use on 127.0.0.1: stop the other Azurite, or point AzureWebJobsStorage in local.settings.json at other ports`,
      );
    }
  }
  const stopping: (() => Promise<void>)[] = [];
  let azurite: RunningAzurite | undefined;
  try {
    azurite = await startAzurite({ ports, location: join(localDir, 'azurite') });
    const started = azurite;
    stopping.push(() => started.stop());
    const storage = createStorageClients(settings.storage);
    await ensureStorageLayout(storage, { devHost: true });
    // One archiver simulator per local port the connectors point at; remote URLs are left alone.
    const simOptions = simulatorOptionsFromEnv(process.env);
    for (const port of localPorts(settings.connectors.flatMap((c) => (c.archiverUrl ? [c.archiverUrl] : [])))) {
      if (!(await portIsFree(port))) throw new Error(`port ${port} (archiver simulator) is in use on 127.0.0.1`);
      const sim = await startArchiverSimulator({ ...simOptions, port });
      stopping.push(() => sim.close());
      notes.push(`archiver simulator on ${sim.url} (${simOptions.itemsPerDay} items per product and day)`);
    }
    const [graphPort] = localPorts([settings.graph.endpoint]);
    let graphSim: GraphSimulator | undefined;
    if (graphPort !== undefined) {
      if (!(await portIsFree(graphPort))) throw new Error(`port ${graphPort} (Graph simulator) is in use on 127.0.0.1`);
      const dumpDir = join(localDir, 'graph-sim');
      const graph = await startGraphSimulator({ ...graphSimOptionsFromEnv(process.env), port: graphPort, dumpDir });
      stopping.push(() => graph.close());
      graphSim = graph;
      notes.push(`Graph simulator on ${graph.url} (mailboxes: ${graph.url}/_sim/mailboxes, and as files in ${join(dumpDir, 'mailboxes')})`);
    }
    const landing = settings.landing ? blobServiceFor(settings.landing) : undefined;
    notes.push(
      ...(await deliverVendorItems(settings.connectors, landing, graphSim, { seed: simOptions.seed, itemsPerDay: simOptions.itemsPerDay, now: new Date() })),
    );
    return {
      settings,
      storage,
      graphSimUrl: graphSim?.url,
      localDir,
      notes,
      stop: async () => {
        for (const stop of stopping.reverse()) await stop();
      },
    };
  } catch (err) {
    for (const stop of stopping.reverse()) await stop();
    throw err;
  }
}

async function attachToRunningStack(settings: AppSettings, localDir: string, notes: string[]): Promise<LocalStack> {
  const storage = createStorageClients(settings.storage);
  try {
    await ensureStorageLayout(storage, { devHost: true });
  } catch (err) {
    throw new Error(`--attach: the storage AzureWebJobsStorage names does not answer (${(err as Error).message}); start Azurite first`, { cause: err });
  }
  const graphSimUrl = localPorts([settings.graph.endpoint]).length > 0 ? settings.graph.endpoint : undefined;
  notes.push('attached to the running Azurite and simulators (none started)');
  return { settings, storage, graphSimUrl, localDir, notes, stop: () => Promise.resolve() };
}

function localPorts(urls: string[]): number[] {
  const ports = new Set<number>();
  for (const u of urls) {
    const url = new URL(u);
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') ports.add(Number(url.port || 80));
  }
  return [...ports];
}

/** Whether the port is free now or becomes free within `ms` (polled every 250 ms). */
async function portFreesWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await portIsFree(port)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(250);
  }
}
