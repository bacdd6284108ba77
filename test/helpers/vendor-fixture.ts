/**
 * Azurite + Graph simulator + the app's services with one sftp-zip connector (zipdrop) and one
 * smtp-mailbox connector (journal), and the steps after a delivery as the functions run them:
 * convert every raw email, import every job, until nothing is left.
 */
import { loadSettings } from '../../shared/app/settings';
import { createServices, type Services } from '../../shared/app/services';
import { convertRawItem } from '../../shared/converting/convert-raw-item';
import { parseImportJob } from '../../shared/jobs/import-job';
import { containers, landingContainerOf } from '../../shared/storage/names';
import { ingestZipAsRun } from '../../shared/fetching/ingest-zip-run';
import type { IngestResult } from '../../shared/fetching/ingest-zip';
import { fetchWindowPart } from '../../shared/fetching/fetch-window-part';
import type { FetchJob } from '../../shared/jobs/fetch-job';
import { startGraphSimulator, type GraphSimulator } from '../../dev/stack/graph-sim/server';
import { JOURNAL_MAILBOX } from '../../dev/stack/graph-sim/directory';
import type { StoredMessage } from '../../dev/stack/graph-sim/store';
import { startTestStorage, type TestStorage } from './azurite';
import { validEnv } from './env';
import { drainQueue } from './queues';
import { runImport } from './import-fixture';

export const ZIP_FOLDER = 'Enterprise Number Archiver (SFTP)';
export const JOURNAL_FOLDER = 'WhatsApp Archiver (SMTP)';
export const JOURNAL_UPN = 'mobile-journal@contoso.onmicrosoft.example';

export interface VendorFixture {
  ts: TestStorage;
  graph: GraphSimulator;
  services: Services;
  stop(): Promise<void>;
}

export async function startVendorFixture(env: Record<string, string> = {}): Promise<VendorFixture> {
  const ts = await startTestStorage();
  const graph = await startGraphSimulator({});
  const rules = JSON.stringify({ numberOnlyDomains: ['sms.telemessage.invalid'] });
  const settings = loadSettings(
    validEnv(ts.connectionString, {
      GRAPH_ENDPOINT: graph.url,
      GRAPH_MAX_RETRY_AFTER_SECONDS: '5',
      LandingStorage: ts.connectionString,
      ARCHIVE_CONNECTORS: 'zipdrop,journal',
      CONNECTOR__ZIPDROP__PRODUCT: 'enterprise-number',
      CONNECTOR__ZIPDROP__SOURCE: 'sftp-zip',
      CONNECTOR__ZIPDROP__FOLDER_NAME: ZIP_FOLDER,
      CONNECTOR__ZIPDROP__EML_RULES: rules,
      CONNECTOR__JOURNAL__PRODUCT: 'whatsapp',
      CONNECTOR__JOURNAL__SOURCE: 'smtp-mailbox',
      CONNECTOR__JOURNAL__JOURNAL_MAILBOX: JOURNAL_MAILBOX,
      CONNECTOR__JOURNAL__FOLDER_NAME: JOURNAL_FOLDER,
      CONNECTOR__JOURNAL__EML_RULES: rules,
      ...env,
    }),
  );
  const services = createServices(settings, ts.storage);
  await services.landing!.getContainerClient(landingContainerOf('zipdrop')).createIfNotExists();
  return { ts, graph, services, stop: async () => (await graph.close(), await ts.stop()) };
}

/** Drops a ZIP into the landing container (what an SFTP put becomes) and ingests it as the Event Grid function does. */
export async function dropZip(f: VendorFixture, name: string, zip: Buffer): Promise<IngestResult> {
  await f.services.landing!.getContainerClient(landingContainerOf('zipdrop')).getBlockBlobClient(name).upload(zip, zip.length);
  return ingestZipAsRun('zipdrop', name, { ...f.services, landing: f.services.landing! });
}

/** Converts every raw email not yet converted and imports every queued job; returns the convert outcomes. */
export async function convertAndImport(f: VendorFixture, connectorId: string): Promise<{ converted: number; deadLettered: string[] }> {
  let converted = 0;
  const deadLettered: string[] = [];
  const raw = f.services.storage.blob.getContainerClient(containers.rawItems);
  for await (const b of raw.listBlobsFlat({ prefix: `${connectorId}/emails/` })) {
    const r = await convertRawItem(b.name, f.services);
    if (r.status === 'dead-lettered') deadLettered.push(r.reason);
    else if (r.status === 'converted') converted++;
  }
  for (const job of await drainQueue(f.services.importQueue, parseImportJob)) await runImport(f, job);
  return { converted, deadLettered };
}

/** One scheduled fetch part for a connector: claims a window as the scheduler does, then runs the fetcher. */
export async function runFetch(f: VendorFixture, connectorId: string, runId: string) {
  const now = new Date();
  const window = { from: new Date(now.getTime() - 86_400_000), to: now };
  const cp = await f.services.checkpoints.read(connectorId);
  const claimed = await f.services.checkpoints.claim(connectorId, cp, {
    ...window,
    runId,
    state: 'claimed',
    claimedAt: now,
    leaseUntil: new Date(now.getTime() + 3_600_000),
  });
  await f.services.checkpoints.markDispatched(claimed, new Date(now.getTime() + 3_600_000));
  const job: FetchJob = { version: 1, runId, connectorId, window: { from: window.from.toISOString(), to: window.to.toISOString() }, part: 0 };
  return fetchWindowPart(job, f.services);
}

/** Copies in a folder of every mailbox, by Internet Message-ID (to count duplicates). */
export function copiesIn(f: VendorFixture, folder: string): StoredMessage[] {
  return f.graph.users.flatMap((u) => f.graph.messagesOf(u.userPrincipalName, folder));
}

export function duplicates(messages: StoredMessage[]): number {
  const seen = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.folderId}|${m.internetMessageId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen.values()].filter((n) => n > 1).length;
}
