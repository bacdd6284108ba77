/**
 * The long-lived objects a function invocation needs, built once per process from the validated
 * settings. Functions call services() and hand off; tests build their own with createServices().
 */
import type { QueueClient } from '@azure/storage-queue';
import { appSettings, type AppSettings } from './settings';
import type { BlobServiceClient } from '@azure/storage-blob';
import { blobServiceFor, storageClients, type StorageClients } from '../storage/clients';
import { DeliveryStore } from '../fetching/delivery-store';
import { legacyTables, queues, tables } from '../storage/names';
import { CheckpointStore } from '../windows/checkpoints';
import { RunStatusStore } from '../runs/run-status';
import { DeadLetterStore } from '../runs/dead-letters';
import { MappingStore } from '../mapping/mapping-store';
import { GraphCache } from '../importing/graph-cache';
import { StrategyStore } from '../importing/strategies';
import { ImportLedger } from '../importing/ledger';
import { MailboxBudget } from '../graph/mailbox-budget';
import { UnmappedStore } from '../importing/unmapped';
import { MailboxApi } from '../graph/mailbox-api';
import { createGraphClient } from '../graph/graph-client';
import { countItem } from '../telemetry/metrics';

export interface Services {
  settings: AppSettings;
  storage: StorageClients;
  checkpoints: CheckpointStore;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  fetchQueue: QueueClient;
  convertQueue: QueueClient;
  importQueue: QueueClient;
  mapping: MappingStore;
  graphCache: GraphCache;
  ledger: ImportLedger;
  unmapped: UnmappedStore;
  strategies: StrategyStore;
  deliveries: DeliveryStore;
  /** Created on first use: the importer and the journal mailbox source talk to Graph. */
  readonly mailboxApi: MailboxApi;
  /** The SFTP landing account; undefined when no sftp-zip connector is configured. */
  readonly landing: BlobServiceClient | undefined;
  /** At shutdown: hands back what this process holds that other instances wait for (its mailbox lanes). */
  close(): Promise<void>;
}

export function createServices(
  settings: AppSettings,
  storage: StorageClients = storageClients(settings.storage),
  mailboxApi?: MailboxApi,
  landingService?: BlobServiceClient,
): Services {
  let api = mailboxApi;
  let landing = landingService;
  return {
    settings,
    storage,
    checkpoints: new CheckpointStore(storage.table(tables.checkpoints)),
    runStatus: new RunStatusStore(storage.table(tables.runStatus), countItem),
    deadLetters: new DeadLetterStore(storage.table(tables.deadLetters)),
    fetchQueue: storage.queue.getQueueClient(queues.fetchJobs),
    convertQueue: storage.queue.getQueueClient(queues.convertJobs),
    importQueue: storage.queue.getQueueClient(queues.importJobs),
    mapping: new MappingStore(storage.table(tables.mapping)),
    graphCache: new GraphCache(storage.table(tables.graphCache), settings.mapping.mailboxCacheTtlMinutes),
    ledger: new ImportLedger(storage.table(tables.importLedger), storage.table(legacyTables.importLedger), settings.import.claimLeaseMs),
    unmapped: new UnmappedStore(storage.table(tables.unmapped)),
    strategies: new StrategyStore(storage.table(tables.importStrategies)),
    deliveries: new DeliveryStore(storage.table(tables.deliveries)),
    get landing() {
      if (!landing && settings.landing) landing = blobServiceFor(settings.landing);
      return landing;
    },
    get mailboxApi() {
      api ??= new MailboxApi(
        createGraphClient(settings.graph, { maxRetryAfterSeconds: settings.import.maxRetryAfterSeconds, timeouts: settings.http }),
        createGraphClient(settings.graph, { maxRetryAfterSeconds: settings.import.maxRetryAfterSeconds, timeouts: settings.http }, 'beta'),
        { maxRetryAfterSeconds: settings.import.maxRetryAfterSeconds },
        new MailboxBudget(storage.table(tables.mailboxLanes), settings.mailboxLimits),
      );
      return api;
    },
    async close() {
      await api?.close();
    },
  };
}

let current: Services | undefined;

export function services(): Services {
  current ??= createServices(appSettings());
  return current;
}

/** The app's shutdown (functions/startup.ts): closes the services if this process built them. */
export async function closeServices(): Promise<void> {
  await current?.close();
}
