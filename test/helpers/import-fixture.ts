/**
 * Azurite + Graph simulator + the app's services: raw items are stored and converted by the real
 * converter, then imported by the real importer against the simulator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings } from '../../shared/app/settings';
import { createServices, type Services } from '../../shared/app/services';
import { convertRawItem } from '../../shared/converting/convert-raw-item';
import { emlPathOf, rawAttachmentPath, rawItemPath } from '../../shared/items/paths';
import { containers } from '../../shared/storage/names';
import { parseImportJob, type ImportJob } from '../../shared/jobs/import-job';
import { importItem, type ImportResult } from '../../shared/importing/import-item';
import { MAX_DEQUEUE } from '../../shared/runs/back-off';
import { startGraphSimulator, type GraphSimulator } from '../../dev/stack/graph-sim/server';
import type { GraphSimOptionsInput } from '../../dev/stack/graph-sim/options';
import type { FixtureItem } from '../fixtures/items';
import { startTestStorage, type TestStorage } from './azurite';
import { validEnv } from './env';
import { drainQueue } from './queues';

export interface ImportFixture {
  ts: TestStorage;
  graph: GraphSimulator;
  services: Services;
  stop(): Promise<void>;
}

export async function startImportFixture(graphOptions: GraphSimOptionsInput = {}, env: Record<string, string> = {}): Promise<ImportFixture> {
  const ts = await startTestStorage();
  const graph = await startGraphSimulator(graphOptions);
  const settings = loadSettings(validEnv(ts.connectionString, { GRAPH_ENDPOINT: graph.url, GRAPH_MAX_RETRY_AFTER_SECONDS: '5', ...env }));
  const services = createServices(settings, ts.storage);
  return { ts, graph, services, stop: async () => (await graph.close(), await ts.stop()) };
}

/** Stores a fixture's raw item and attachments as the fetcher does (blobs, then its fetch row); returns the raw path. */
export async function storeFixture(f: ImportFixture, item: FixtureItem, runId = 'import-test-run'): Promise<string> {
  const raw = item.raw as { id: string; timestamp: string };
  const blob = (c: string, p: string) => f.services.storage.blob.getContainerClient(c).getBlockBlobClient(p);
  for (const a of item.attachments) {
    const content = a.content;
    await blob(containers.rawAttachments, rawAttachmentPath(item.connectorId, raw.id, new Date(raw.timestamp), a.id)).uploadData(content);
  }
  const line = Buffer.from(JSON.stringify(item.raw));
  const path = rawItemPath(item.connectorId, raw.id, new Date(raw.timestamp));
  await blob(containers.rawItems, path).upload(line, line.length, { metadata: { runid: runId } });
  await f.services.runStatus.recordItem(runId, item.connectorId, 'fetch', raw.id, 'written', { path });
  return path;
}

/** Stores a fixture's raw item and attachments, converts it, and returns its import job. */
export async function convertFixture(f: ImportFixture, item: FixtureItem, runId = 'import-test-run'): Promise<ImportJob> {
  const path = await storeFixture(f, item, runId);
  const result = await convertRawItem(path, f.services);
  if (result.status === 'dead-lettered') throw new Error(result.reason);
  const jobs = await drainQueue(f.services.importQueue, parseImportJob);
  const job = jobs.find((j) => j.emlPath === emlPathOf(path));
  if (!job) throw new Error('no import job was queued');
  return job;
}

/**
 * Runs an import job as the queue would: delivered again after a failure, up to maxDequeueCount
 * (host.json), and a job that re-queued itself (throttling) taken up again after its delay. Bounded.
 */
export async function runImport(f: ImportFixture, job: ImportJob, deps: Partial<Services> = {}): Promise<ImportResult> {
  let current = job;
  for (let requeues = 0; requeues < 10; requeues++) {
    let result: ImportResult | undefined;
    for (let dequeueCount = 1; !result; dequeueCount++) {
      try {
        result = await importItem(current, { ...f.services, ...deps }, { dequeueCount });
      } catch (err) {
        if (dequeueCount >= MAX_DEQUEUE) throw err;
      }
    }
    if (result.status !== 'requeued') return result;
    current = await takeRequeued(f, current);
  }
  throw new Error('import kept re-queueing');
}

/** Waits (bounded) for the re-queued copy of a job to become visible and takes it. */
async function takeRequeued(f: ImportFixture, job: ImportJob): Promise<ImportJob> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { receivedMessageItems } = await f.services.importQueue.receiveMessages({ numberOfMessages: 32 });
    for (const m of receivedMessageItems) {
      const candidate = parseImportJob(JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
      if (candidate.itemId === job.itemId) {
        await f.services.importQueue.deleteMessage(m.messageId, m.popReceipt);
        return candidate;
      }
      await f.services.importQueue.updateMessage(m.messageId, m.popReceipt, undefined, 0);
    }
    await sleep(200);
  }
  throw new Error(`the re-queued job of ${job.itemId} did not appear`);
}
