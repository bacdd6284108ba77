/**
 * The long-lived objects a function invocation needs, built once per process from the validated
 * settings. Functions call services() and hand off; tests build their own with createServices().
 */
import type { QueueClient } from '@azure/storage-queue';
import { appSettings, type AppSettings } from '../config/settings';
import { storageClients, type StorageClients } from '../storage/clients';
import { queues, tables } from '../storage/layout';
import { CheckpointStore } from '../scheduling/checkpoints';
import { RunStatusStore } from '../runs/run-status';
import { DeadLetterStore } from '../runs/dead-letters';

export interface Services {
  settings: AppSettings;
  storage: StorageClients;
  checkpoints: CheckpointStore;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  fetchQueue: QueueClient;
  importQueue: QueueClient;
}

export function createServices(settings: AppSettings, storage: StorageClients = storageClients(settings.storage)): Services {
  return {
    settings,
    storage,
    checkpoints: new CheckpointStore(storage.table(tables.checkpoints)),
    runStatus: new RunStatusStore(storage.table(tables.runStatus)),
    deadLetters: new DeadLetterStore(storage.table(tables.deadLetters)),
    fetchQueue: storage.queue.getQueueClient(queues.fetchJobs),
    importQueue: storage.queue.getQueueClient(queues.importJobs),
  };
}

let current: Services | undefined;

export function services(): Services {
  current ??= createServices(appSettings());
  return current;
}

export function resetServices(): void {
  current = undefined;
}
