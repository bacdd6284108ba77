/**
 * App-wide settings. Settings are flat environment variables (Azure app settings, or
 * local.settings.json "Values" locally).
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-app-settings
 * The storage connection is not declared here: it is a connection the Functions host reads too
 * (shared/storage/connection.ts).
 */
import { z } from 'zod';
import { nationalCloudNames } from './national-clouds';
import { guid, ncrontab, nonNegativeInt, oneOf, positiveInt, region, serviceUrl } from './schemas';
import { setting } from './setting';

/** What the sample and the Bicep set ARCHIVE_SCHEDULE to. */
export const DEFAULT_SCHEDULE = '0 0 2 * * *';

const WEEK_MINUTES = 7 * 24 * 60;
const YEAR_HOURS = 24 * 366;

export const APP_SETTINGS = {
  connectors: setting({
    name: 'ARCHIVE_CONNECTORS',
    required: true,
    description: 'Comma-separated ids of the configured connectors (1-32 lowercase letters and digits, starting with a letter), e.g. `enterprise,o2,whatsapp`.',
    schema: z.string(),
  }),
  schedule: setting({
    name: 'ARCHIVE_SCHEDULE',
    // Required: the timer binding reads it as %ARCHIVE_SCHEDULE%, and the Functions host fails on an unset %setting%.
    required: true,
    description: `When the scheduler runs: a 6-field NCRONTAB expression in UTC, \`{second} {minute} {hour} {day} {month} {day-of-week}\`; the sample and the Bicep use \`${DEFAULT_SCHEDULE}\` (daily at 02:00).`,
    schema: ncrontab,
  }),
  safetyLagMinutes: setting({
    name: 'FETCH_SAFETY_LAG_MINUTES',
    description: 'A window ends this many minutes before now, so items the archiver is still ingesting are not skipped.',
    schema: nonNegativeInt(WEEK_MINUTES),
    default: 60,
  }),
  initialLookbackHours: setting({
    name: 'FETCH_INITIAL_LOOKBACK_HOURS',
    description: "On a connector's first run, its window starts this many hours back unless `CONNECTOR__<ID>__START_FROM` is set.",
    schema: positiveInt(YEAR_HOURS),
    default: 24,
  }),
  leaseMinutes: setting({
    name: 'FETCH_LEASE_MINUTES',
    description: 'How long a dispatched window blocks the next one for the same connector before it is presumed lost and dispatched again.',
    schema: positiveInt(WEEK_MINUTES),
    default: 180,
  }),
  pageSize: setting({
    name: 'FETCH_PAGE_SIZE',
    description: 'Items the fetcher asks the archiver for per page (at most 1000).',
    schema: positiveInt(1000),
    default: 200,
  }),
  partSeconds: setting({
    name: 'FETCH_PART_SECONDS',
    description: 'After this long, a fetch invocation hands the rest of its window to a continuation job, far below the host timeout.',
    schema: positiveInt(1800),
    default: 300,
  }),
  maxPagesPerWindow: setting({
    name: 'FETCH_MAX_PAGES_PER_WINDOW',
    description:
      'Most pages the fetcher reads for one connector window; a window that needs more (an archiver whose cursor goes round in circles) stops with the outcome `page-cap` and is fetched again by the next run.',
    schema: positiveInt(1_000_000),
    default: 10_000,
  }),
  maxLineKb: setting({
    name: 'FETCH_MAX_LINE_KB',
    description:
      'Longest item (one NDJSON line) read from the archiver; a longer one is never held, and is reported as `line-too-long` with its SHA-256 and length.',
    schema: positiveInt(64 * 1024),
    default: 1024,
  }),
  maxAttachmentMb: setting({
    name: 'FETCH_MAX_ATTACHMENT_MB',
    description:
      "Largest attachment downloaded, checked against the size the item announces before downloading; 150 MB is Graph's largest attachment (upload session) and Exchange Online's largest message. A larger one keeps its item in quarantine as `attachment-too-large`.",
    schema: positiveInt(1024),
    default: 150,
  }),
  maxItemMb: setting({
    name: 'FETCH_MAX_ITEM_MB',
    description:
      'Most bytes all attachments of one item may announce together (checked before downloading); a larger item is kept in quarantine as `item-too-large`.',
    schema: positiveInt(1024),
    default: 150,
  }),
  httpConnectTimeoutSeconds: setting({
    name: 'HTTP_CONNECT_TIMEOUT_SECONDS',
    description: 'A connection to the archiver or Graph that is not made within this long fails (and is retried like a reset one).',
    schema: positiveInt(300),
    default: 10,
  }),
  httpFirstByteTimeoutSeconds: setting({
    name: 'HTTP_FIRST_BYTE_TIMEOUT_SECONDS',
    description: 'An answer from the archiver or Graph whose headers have not arrived this long after the request was sent fails (and is retried).',
    schema: positiveInt(600),
    default: 60,
  }),
  httpIdleTimeoutSeconds: setting({
    name: 'HTTP_IDLE_TIMEOUT_SECONDS',
    description: 'A body from the archiver or Graph that delivers less than 1 KiB in this long while it is waited for fails (a stalled or trickling answer).',
    schema: positiveInt(600),
    default: 60,
  }),
  retryHorizonMinutes: setting({
    name: 'RETRY_HORIZON_MINUTES',
    description:
      "A fetch or import job that keeps failing for a reason that may pass (an outage, throttling) is retried, after the host's quick retries, with growing delays (30 s, 1 min, 2 min, ... up to 1 h apart) for this long before it is dead-lettered with its reason (default a day).",
    schema: positiveInt(WEEK_MINUTES),
    default: 24 * 60,
  }),
  adminLogRetentionDays: setting({
    name: 'ADMIN_LOG_RETENTION_DAYS',
    description:
      "How long each run's per-item log (every item and mailbox copy with its outcome, reason and time; the status page, the admin API and `status`/`items` read it) is kept; older runs are removed by the hourly reconciliation sweep.",
    schema: positiveInt(3650),
    default: 90,
  }),
  importClaimLeaseSeconds: setting({
    name: 'IMPORT_CLAIM_LEASE_SECONDS',
    description:
      'How long a mailbox copy claimed by one execution is left to it before another may take it over (the claimant presumed dead); longer than any one copy takes, a 150 MB upload included.',
    schema: positiveInt(24 * 3600),
    default: 900,
  }),
  reconcileMinAgeMinutes: setting({
    name: 'RECONCILE_MIN_AGE_MINUTES',
    description:
      'The hourly reconciliation sweep queues an item again only when its last step is at least this old, so items still on their way are left alone.',
    schema: positiveInt(WEEK_MINUTES),
    default: 60,
  }),
  reconcileLookbackHours: setting({
    name: 'RECONCILE_LOOKBACK_HOURS',
    description: "Runs started this many hours back are swept; keep it above Event Grid's 24-hour event time-to-live.",
    schema: positiveInt(YEAR_HOURS),
    default: 168,
  }),
  reconcileMaxItems: setting({
    name: 'RECONCILE_MAX_ITEMS',
    description: 'Most stranded items one sweep queues again; the rest wait for the next sweep.',
    schema: positiveInt(100_000),
    default: 5000,
  }),
  reconcileMaxAttempts: setting({
    name: 'RECONCILE_MAX_ATTEMPTS',
    description: 'How often the sweep queues the same stranded item again before it counts the item as failed.',
    schema: positiveInt(100),
    default: 3,
  }),
  blobTriggerSource: setting({
    name: 'BLOB_TRIGGER_SOURCE',
    description:
      'How the blob-triggered functions (converter, mapping uploads) learn of new blobs: `EventGrid` in Azure (required on Flex Consumption; the Bicep sets it), `LogsAndContainerScan` locally (what `func start` uses).',
    schema: oneOf(['EventGrid', 'LogsAndContainerScan']),
    default: 'LogsAndContainerScan',
  }),
  mappingDefaultRegion: setting({
    name: 'MAPPING_DEFAULT_REGION',
    description: 'Region (ISO 3166 alpha-2, e.g. GB, US) for numbers written without a country code in mapping CSVs.',
    schema: region,
    default: 'US',
  }),
  mailboxCacheTtlMinutes: setting({
    name: 'MAILBOX_CACHE_TTL_MINUTES',
    description: "How long Graph's answer on whether an address has a mailbox is reused; a missing mailbox is re-checked after a tenth of that.",
    schema: positiveInt(WEEK_MINUTES),
    default: 720,
  }),
  graphImportMode: setting({
    name: 'GRAPH_IMPORT_MODE',
    description:
      '`json`: each message is created as JSON with extended properties (Mail.ReadWrite). `importMime`: the beta MIME import, MIME-faithful, needs Mail-Advanced.ReadWrite.All; a message over 3 MB still goes as JSON (a Graph request stays under 4 MB).',
    schema: oneOf(['json', 'importMime']),
    default: 'json',
  }),
  graphItemClass: setting({
    name: 'GRAPH_ITEM_CLASS',
    description:
      "Message class (PR_MESSAGE_CLASS) of each mailbox copy in `json` mode; `{product}` and `{type}` become the item's product and type, so eDiscovery can isolate archived items (e.g. `ItemClass:IPM.Note.MobileArchive*`). `IPM.Note` makes them ordinary messages.",
    schema: z
      .string()
      .trim()
      .regex(/^IPM\.Note(\.([A-Za-z0-9-]+|\{product\}|\{type\}))*$/, 'must be IPM.Note followed by .Part segments (letters, digits, "-", {product}, {type})')
      .max(255, 'must be at most 255 characters'),
    default: 'IPM.Note.MobileArchive.{product}.{type}',
  }),
  graphMaxRetryAfterSeconds: setting({
    name: 'GRAPH_MAX_RETRY_AFTER_SECONDS',
    description: 'A Graph `Retry-After` up to this long is waited out in the invocation; a longer one re-queues the import job with that delay.',
    schema: positiveInt(3600),
    default: 30,
  }),
  graphMailboxConcurrency: setting({
    name: 'GRAPH_MAILBOX_CONCURRENCY',
    description:
      "Exchange Online's limit of concurrent requests per app and mailbox, kept across every instance of the app (lanes of the `mailboxlanes` table). Change it only if Microsoft changes the limit: https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits",
    schema: positiveInt(16),
    default: 4,
  }),
  graphMailboxRequests: setting({
    name: 'GRAPH_MAILBOX_REQUESTS',
    description: "Exchange Online's limit of requests per app and mailbox in GRAPH_MAILBOX_REQUEST_WINDOW_SECONDS, kept across every instance.",
    schema: positiveInt(1_000_000),
    default: 10_000,
  }),
  graphMailboxRequestWindowSeconds: setting({
    name: 'GRAPH_MAILBOX_REQUEST_WINDOW_SECONDS',
    description: 'The window of GRAPH_MAILBOX_REQUESTS (10 minutes in Exchange Online).',
    schema: positiveInt(86_400),
    default: 600,
  }),
  graphMailboxUploadMb: setting({
    name: 'GRAPH_MAILBOX_UPLOAD_MB',
    description:
      "Exchange Online's limit of uploaded MB (request bodies of POST, PUT and PATCH) per app and mailbox in GRAPH_MAILBOX_UPLOAD_WINDOW_SECONDS, kept across every instance.",
    schema: positiveInt(100_000),
    default: 150,
  }),
  graphMailboxUploadWindowSeconds: setting({
    name: 'GRAPH_MAILBOX_UPLOAD_WINDOW_SECONDS',
    description: 'The window of GRAPH_MAILBOX_UPLOAD_MB (5 minutes in Exchange Online).',
    schema: positiveInt(86_400),
    default: 300,
  }),
  graphNationalCloud: setting({
    name: 'GRAPH_NATIONAL_CLOUD',
    description: 'Microsoft Graph national cloud: `global`, `usgov` (GCC High), `usgovdod` (DoD) or `china`. GCC (moderate) uses `global`.',
    schema: oneOf(nationalCloudNames),
    default: 'global',
  }),
  graphTenantId: setting({
    name: 'GRAPH_TENANT_ID',
    description: 'Entra tenant id of the Microsoft 365 organisation (GUID).',
    schema: guid,
  }),
  graphClientId: setting({
    name: 'GRAPH_CLIENT_ID',
    description: 'Client id of the user-assigned managed identity that holds the Graph application roles (GUID).',
    schema: guid,
  }),
  graphEndpoint: setting({
    name: 'GRAPH_ENDPOINT',
    description:
      "Overrides the Graph endpoint of the national cloud (e.g. a proxy; the token is still for the cloud's Graph); locally it points at the Graph simulator.",
    schema: serviceUrl,
    defaultNote: "the national cloud's",
  }),
  zipMaxMb: setting({
    name: 'ZIP_MAX_MB',
    description: 'Largest SFTP ZIP delivery read (compressed); a larger one is refused and kept in quarantine.',
    schema: positiveInt(50 * 1024),
    default: 4096,
  }),
  zipMaxEntries: setting({
    name: 'ZIP_MAX_ENTRIES',
    description: 'Most entries one ZIP may hold (EMLs, the manifest, folders).',
    schema: positiveInt(1_000_000),
    default: 50_000,
  }),
  zipMaxEntryMb: setting({
    name: 'ZIP_MAX_ENTRY_MB',
    description: "Largest EML a ZIP may hold, inflated; 150 MB is Exchange Online's largest message.",
    schema: positiveInt(1024),
    default: 150,
  }),
  zipMaxTotalMb: setting({
    name: 'ZIP_MAX_TOTAL_MB',
    description: 'Most bytes all entries of one ZIP may inflate to.',
    schema: positiveInt(1024 * 1024),
    default: 20 * 1024,
  }),
  zipMaxRatio: setting({
    name: 'ZIP_MAX_RATIO',
    description: "Largest inflated-to-compressed size ratio of one entry; a zip bomb's runs to the thousands, email with attachments rarely passes 10.",
    schema: positiveInt(100_000),
    default: 200,
  }),
  zipSettleMinutes: setting({
    name: 'ZIP_SETTLE_MINUTES',
    description:
      'A ZIP that is empty or cannot be read yet is taken as an upload in progress (SFTP creates the blob empty when the file is opened) for this long after its last change; after that it is refused as not a ZIP.',
    schema: positiveInt(24 * 60),
    default: 30,
  }),
  journalMaxMessageMb: setting({
    name: 'JOURNAL_MAX_MESSAGE_MB',
    description: "Largest message read from a journal mailbox (MIME); a larger one moves to the connector's attention folder.",
    schema: positiveInt(1024),
    default: 150,
  }),
};

export const appSettingDeclarations = Object.values(APP_SETTINGS);
