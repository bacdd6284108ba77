/**
 * The one place that names every container, queue and table the app uses.
 *
 * Function registrations, the dev host, provisioning (local and Bicep) and the tests all read
 * these names from here. Azure rules: containers and queues are 3-63 lowercase letters, digits
 * and dashes; tables are 3-63 letters and digits, starting with a letter.
 */

/** App setting prefix of the storage connection every binding uses (identity-based in Azure). */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

export const containers = {
  /** Raw archiver items (one JSON blob per item), byte for byte as received: the record of what we got. */
  rawItems: 'raw-items',
  /** Attachments of raw items (media, recordings, files), streamed as received. */
  rawAttachments: 'raw-attachments',
  /** Lines the archiver sent that are not usable items, byte for byte, with the reason: nothing is dropped. */
  rawQuarantine: 'raw-quarantine',
  /** Converted messages, one .eml per raw item. */
  mime: 'mime-messages',
  /** Custom mapping CSVs: drop one at incoming/<connector>/<file>.csv; its report appears at reports/<connector>/<file>.json. */
  mappingUploads: 'mapping-uploads',
  /** ZIP deliveries refused by the ingest (bad manifest, unsafe entries, ...), copied byte for byte with the reason in metadata. */
  landingQuarantine: 'landing-quarantine',
  /** Blob-created events Event Grid could not deliver (Azure only): evidence for operators; the reconciliation sweep repairs the items. */
  eventGridDeadLetters: 'eventgrid-deadletters',
} as const;

/** Suffix the Functions host appends to a queue's name for messages that failed maxDequeueCount times. */
export const POISON_SUFFIX = '-poison';

export const queues = {
  /** One message per connector window to fetch (and continuation jobs carrying a cursor). */
  fetchJobs: 'fetch-jobs',
  fetchJobsPoison: `fetch-jobs${POISON_SUFFIX}`,
  /** One message per converted item to import into the mapped mailboxes. */
  importJobs: 'import-jobs',
  importJobsPoison: `import-jobs${POISON_SUFFIX}`,
  /** Raw items to convert that no blob event brought (the reconciliation sweep finds them). */
  convertJobs: 'convert-jobs',
  convertJobsPoison: `convert-jobs${POISON_SUFFIX}`,
  /** An administrator's request to run the import self-test: {"mailbox": "<test mailbox UPN>"}. */
  selfTestRequests: 'selftest-requests',
  selfTestRequestsPoison: `selftest-requests${POISON_SUFFIX}`,
} as const;

export const tables = {
  /** Per connector: the watermark up to which every item has been fetched, and the window in flight. */
  checkpoints: 'checkpoints',
  /** Custom mapping rows: connector + E.164 number to mailbox, with optional validity. */
  mapping: 'mapping',
  /** (item, mailbox) to Graph message id: what makes a mailbox copy exactly-once (a partition per item). */
  importLedger: 'importcopies',
  /** Per run and connector: state, window and per-item stage outcomes for the run report. */
  runStatus: 'runstatus',
  /** Graph look-ups worth keeping: address -> user and mailbox status (with a TTL), mailbox -> folder id. */
  graphCache: 'graphcache',
  /** Items that mapped to no mailbox, with the reasons, kept for `npm run redrive -- --unmapped`. */
  unmapped: 'unmapped',
  /** Items a stage could not process, with the reason and where the input is kept, for re-drive. */
  deadLetters: 'deadletters',
  /** Which ways of writing a mailbox copy work in this tenant, as the import self-test found. */
  importStrategies: 'importstrategies',
  /** Per mailbox, the lanes of its Graph budget (4 concurrent requests, with their share of the rate and upload limits) and which instance holds each. */
  mailboxLanes: 'mailboxlanes',
  /** Per sftp-zip connector and ZIP (by SHA-256): ingested, refused or in progress, so a ZIP delivered twice is read once. */
  deliveries: 'deliveries',
} as const;

/**
 * Tables an earlier version used and this one only empties: read while they hold rows, never
 * provisioned. The import ledger was a partition per mailbox; the reconciliation sweep moves its
 * rows to `tables.importLedger` and then deletes it.
 */
export const legacyTables = {
  importLedger: 'importledger',
} as const;

/**
 * Names used only by the local dev host to emulate what the Functions host keeps in the storage
 * account (blob receipts and the blob trigger's poison queue).
 */
export const devHost = {
  blobReceipts: 'devhostblobreceipts',
  /** Same name as the Functions host's blob-trigger poison queue. */
  blobTriggerPoison: 'webjobs-blobtrigger-poison',
} as const;

/**
 * The STORAGE connection of the SFTP landing account (an account of its own: SFTP needs a
 * hierarchical namespace). Locally it is Azurite, like AzureWebJobsStorage.
 */
export const LANDING_CONNECTION = 'LandingStorage';

/** The landing container of an sftp-zip connector: the home of its SFTP local user. */
export function landingContainerOf(connectorId: string): string {
  return `landing-${connectorId}`;
}

export const mappingUploadPrefix = 'incoming';
export const mappingReportPrefix = 'reports';

export const allContainers: readonly string[] = Object.values(containers);
export const allQueues: readonly string[] = Object.values(queues);
export const allTables: readonly string[] = Object.values(tables);

export function poisonQueueOf(queueName: string): string {
  return `${queueName}${POISON_SUFFIX}`;
}
