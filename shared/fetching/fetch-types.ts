/** What a fetch part needs and returns, whichever source kind the connector has. */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config/config';
import type { ConnectorSettings } from '../config/connector-settings';
import type { CheckpointStore } from '../windows/checkpoints';
import type { RunStatusStore } from '../runs/run-status';
import type { DeadLetterStore } from '../runs/dead-letters';
import type { StorageClients } from '../storage/clients';
import type { MailboxApi } from '../graph/mailbox-api';
import type { ArchiverClient } from '../archiver/archiver-client';
import type { DeliveryStore } from './delivery-store';

export interface FetchDeps {
  settings: Pick<Config, 'connectors' | 'fetch' | 'delivery' | 'http' | 'retry'>;
  storage: StorageClients;
  checkpoints: CheckpointStore;
  runStatus: RunStatusStore;
  fetchQueue: QueueClient;
  /** smtp-mailbox: the journal mailbox is read through Graph. */
  mailboxApi?: MailboxApi;
  /** sftp-zip: the landing account, and what became of each ZIP. */
  landing?: BlobServiceClient;
  deliveries?: DeliveryStore;
  deadLetters?: DeadLetterStore;
  archiverFor?: (connector: ConnectorSettings) => ArchiverClient;
  now?: () => Date;
  /** How often the queue has delivered this job (the host's retries come before our back-off). */
  dequeueCount?: number;
  log?: (message: string) => void;
}

export interface FetchPartResult {
  status: 'completed' | 'continued' | 'stale' | 'sign-in-failed' | 'unavailable' | 'stopped' | 'retrying' | 'dead-lettered';
  pages: number;
  written: number;
  present: number;
  quarantined: number;
  /** Why a window was given back (sign-in refused, connector unavailable, a limit): operator-facing, never item content. */
  message?: string;
}

/**
 * One source's share of a part: its counts, and a cursor when its time ran out before the end, or
 * `stopped` when a limit ended the window early (the outcome names the limit; the window is fetched
 * again by the next run).
 */
export interface SourcePart {
  pages: number;
  written: number;
  present: number;
  quarantined: number;
  cursor?: string;
  stopped?: { outcome: 'page-cap' | 'cursor-not-advancing'; message: string };
}
