/**
 * Every app setting the app reads, declared once and validated at start-up.
 *
 * Settings are flat environment variables (Azure app settings, or local.settings.json "Values"
 * locally). Per-connector settings use the `CONNECTOR__<ID>__<NAME>` form: `__` is how Azure
 * app settings express nesting on Linux, where `:` is not allowed in a setting name.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-app-settings
 */
import { z } from 'zod';
import { productById, productIds, type ProductId } from '../catalogue/products';
import { STORAGE_CONNECTION } from '../storage/names';
import { parseNcrontab } from './ncrontab';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Names the setting (never its value, which may be a secret) and says what is wrong. */
export interface SettingProblem {
  setting: string;
  problem: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: readonly SettingProblem[]) {
    super(
      `Invalid app settings (${problems.length}):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n'),
    );
    this.name = 'SettingsError';
  }
}

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1');

const positiveInt = (max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`);

const nonNegativeInt = (max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n <= max, `must be between 0 and ${max}`);

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or plain http to this machine only (the local simulators): credentials never cross a network in clear. */
const serviceUrl = httpUrl.refine((v) => {
  const u = new URL(v);
  return u.protocol === 'https:' || LOOPBACK_HOSTS.has(u.hostname);
}, 'must use https (plain http is allowed only for 127.0.0.1 / localhost)');

const guid = z
  .string()
  .trim()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A Key Vault reference that reaches the app unresolved means the platform could not read the secret. */
const secret = nonEmpty.refine(
  (v) => !v.startsWith('@Microsoft.KeyVault('),
  'is an unresolved Key Vault reference: give the app identity the "Key Vault Secrets User" role on the vault and check the secret URI',
);

const isoInstant = z
  .string()
  .trim()
  .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 UTC timestamp, e.g. 2026-01-01T00:00:00Z')
  .transform((v) => new Date(v));

const ncrontab = z.string().trim().superRefine((v, ctx) => {
  try {
    parseNcrontab(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const nationalClouds = {
  // https://learn.microsoft.com/en-us/graph/deployments (Microsoft Graph and Entra endpoints per cloud)
  global: { graph: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com' },
  usgov: { graph: 'https://graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  usgovdod: { graph: 'https://dod-graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  china: { graph: 'https://microsoftgraph.chinacloudapi.cn', authority: 'https://login.chinacloudapi.cn' },
} as const;
export type NationalCloud = keyof typeof nationalClouds;

export interface SettingDeclaration {
  /** The app setting name; for per-connector settings the part after `CONNECTOR__<ID>__`. */
  name: string;
  scope: 'app' | 'connector';
  /** Required settings have no default and must be set (the sample and the Bicep set them all). */
  required: boolean;
  secret?: boolean;
  description: string;
  schema: z.ZodType<unknown, string>;
}

export const DEFAULT_SCHEDULE = '0 0 2 * * *';

const declare = (d: SettingDeclaration) => d;

/** App-wide settings. The storage connection is handled apart: it is a connection, see storageConnection(). */
export const appSettingDeclarations = [
  declare({
    name: 'ARCHIVE_CONNECTORS',
    scope: 'app',
    required: true,
    description: 'Comma-separated ids of the configured connectors (lowercase letters and digits), e.g. "enterprise,o2,whatsapp".',
    schema: z.string(),
  }),
  declare({
    name: 'ARCHIVE_SCHEDULE',
    scope: 'app',
    // Required: the timer binding reads it as %ARCHIVE_SCHEDULE%, and the Functions host fails on an unset %setting%.
    required: true,
    description: `When the scheduler runs, as a 6-field NCRONTAB expression in UTC; the sample and the Bicep use "${DEFAULT_SCHEDULE}" (daily at 02:00).`,
    schema: ncrontab,
  }),
  declare({
    name: 'FETCH_SAFETY_LAG_MINUTES',
    scope: 'app',
    required: false,
    description: 'A window ends this many minutes before now, so items still being ingested by the archiver are not skipped (default 60).',
    schema: nonNegativeInt(7 * 24 * 60),
  }),
  declare({
    name: 'FETCH_INITIAL_LOOKBACK_HOURS',
    scope: 'app',
    required: false,
    description: 'On a connector\'s first run, its window starts this many hours back unless CONNECTOR__<ID>__START_FROM is set (default 24).',
    schema: positiveInt(24 * 366),
  }),
  declare({
    name: 'FETCH_LEASE_MINUTES',
    scope: 'app',
    required: false,
    description: 'How long a dispatched window blocks the next one for the same connector before it is presumed lost and re-dispatched (default 180).',
    schema: positiveInt(7 * 24 * 60),
  }),
  declare({
    name: 'FETCH_PAGE_SIZE',
    scope: 'app',
    required: false,
    description: 'Items the fetcher asks the archiver for per page (default 200, at most 1000).',
    schema: positiveInt(1000),
  }),
  declare({
    name: 'FETCH_PART_SECONDS',
    scope: 'app',
    required: false,
    description: 'After this long, a fetch invocation hands the rest of its window to a continuation job, far below the host timeout (default 300).',
    schema: positiveInt(1800),
  }),
  declare({
    name: 'RECONCILE_MIN_AGE_MINUTES',
    scope: 'app',
    required: false,
    description: 'The hourly reconciliation sweep queues an item again only when its last step is at least this old, so items still on their way are left alone (default 60).',
    schema: positiveInt(7 * 24 * 60),
  }),
  declare({
    name: 'RECONCILE_LOOKBACK_HOURS',
    scope: 'app',
    required: false,
    description: 'Runs started this many hours back are swept; keep it above Event Grid\'s 24-hour event time-to-live (default 168).',
    schema: positiveInt(24 * 366),
  }),
  declare({
    name: 'RECONCILE_MAX_ITEMS',
    scope: 'app',
    required: false,
    description: 'Most stranded items one sweep queues again; the rest wait for the next sweep (default 5000).',
    schema: positiveInt(100_000),
  }),
  declare({
    name: 'RECONCILE_MAX_ATTEMPTS',
    scope: 'app',
    required: false,
    description: 'How often the sweep queues the same stranded item again before it counts the item as failed (default 3).',
    schema: positiveInt(100),
  }),
  declare({
    name: 'BLOB_TRIGGER_SOURCE',
    scope: 'app',
    required: false,
    description: 'How blob-triggered functions (converter, mapping uploads) learn of new blobs: EventGrid (required on Flex Consumption; the Bicep sets it) or LogsAndContainerScan (default; what func start uses locally).',
    schema: z.enum(['EventGrid', 'LogsAndContainerScan'], { error: 'must be EventGrid or LogsAndContainerScan' }),
  }),
  declare({
    name: 'MAPPING_DEFAULT_REGION',
    scope: 'app',
    required: false,
    description: 'Region (ISO 3166 alpha-2, e.g. GB, US) for numbers written without a country code in mapping CSVs (default US).',
    schema: z.string().trim().toUpperCase().refine((v) => isSupportedCountry(v), 'must be an ISO 3166 alpha-2 region code that has phone numbers, e.g. GB or US'),
  }),
  declare({
    name: 'MAILBOX_CACHE_TTL_MINUTES',
    scope: 'app',
    required: false,
    description: 'How long a Graph answer on whether an address has a mailbox is reused (default 720; a missing mailbox is re-checked after a tenth of that).',
    schema: positiveInt(7 * 24 * 60),
  }),
  declare({
    name: 'GRAPH_IMPORT_MODE',
    scope: 'app',
    required: false,
    description: 'json (default): create each message as JSON with extended properties (Mail.ReadWrite); importMime: the beta MIME import (MIME-faithful, needs Mail-Advanced.ReadWrite.All; messages over 3 MB still go as JSON).',
    schema: z.enum(['json', 'importMime'], { error: 'must be json or importMime' }),
  }),
  declare({
    name: 'GRAPH_MAX_RETRY_AFTER_SECONDS',
    scope: 'app',
    required: false,
    description: 'A Graph Retry-After up to this long is waited out in the invocation; a longer one re-queues the import job with that delay (default 30).',
    schema: positiveInt(3600),
  }),
  declare({
    name: 'GRAPH_NATIONAL_CLOUD',
    scope: 'app',
    required: false,
    description: 'Microsoft Graph national cloud: global, usgov, usgovdod or china (default global).',
    schema: z.enum(Object.keys(nationalClouds) as [NationalCloud, ...NationalCloud[]], {
      error: `must be one of ${Object.keys(nationalClouds).join(', ')}`,
    }),
  }),
  declare({
    name: 'GRAPH_TENANT_ID',
    scope: 'app',
    required: false,
    description: 'Entra tenant id of the Microsoft 365 organisation (GUID).',
    schema: guid,
  }),
  declare({
    name: 'GRAPH_CLIENT_ID',
    scope: 'app',
    required: false,
    description: 'Client id of the user-assigned managed identity that holds the Graph application roles (GUID).',
    schema: guid,
  }),
  declare({
    name: 'GRAPH_ENDPOINT',
    scope: 'app',
    required: false,
    description: 'Overrides the Graph endpoint of the national cloud; locally it points at the Graph simulator.',
    schema: serviceUrl,
  }),
] as const;

export const connectorSettingDeclarations = [
  declare({
    name: 'PRODUCT',
    scope: 'connector',
    required: true,
    description: `Archiver product: ${productIds.join(', ')}.`,
    schema: z.enum(productIds, { error: `must be one of ${productIds.join(', ')}` }),
  }),
  declare({
    name: 'ARCHIVER_URL',
    scope: 'connector',
    required: true,
    description: 'Base URL of the archiver account\'s pull interface.',
    schema: serviceUrl,
  }),
  declare({
    name: 'USERNAME',
    scope: 'connector',
    required: true,
    description: 'Archiver account username.',
    schema: nonEmpty,
  }),
  declare({
    name: 'PASSWORD',
    scope: 'connector',
    required: true,
    secret: true,
    description: 'Archiver account password; in Azure a Key Vault reference, never the password itself.',
    schema: secret,
  }),
  declare({
    name: 'ENABLED',
    scope: 'connector',
    required: false,
    description: 'Whether the scheduler dispatches this connector (default true).',
    schema: bool,
  }),
  declare({
    name: 'FOLDER_NAME',
    scope: 'connector',
    required: false,
    description: 'Mailbox folder the items are imported into (default: the product\'s folder name).',
    schema: nonEmpty.max(255, 'must be at most 255 characters').refine((v) => !/[\\/]/.test(v), 'must not contain / or \\'),
  }),
  declare({
    name: 'AUTO_MAPPING',
    scope: 'connector',
    required: false,
    description: 'Map participants by their email address from the archiver (default true).',
    schema: bool,
  }),
  declare({
    name: 'CUSTOM_MAPPING',
    scope: 'connector',
    required: false,
    description: 'Map participants by the uploaded phone-number CSV first (default false).',
    schema: bool,
  }),
  declare({
    name: 'SAFETY_LAG_MINUTES',
    scope: 'connector',
    required: false,
    description: 'Overrides FETCH_SAFETY_LAG_MINUTES for this connector (e.g. a carrier that uploads once a day).',
    schema: nonNegativeInt(7 * 24 * 60),
  }),
  declare({
    name: 'START_FROM',
    scope: 'connector',
    required: false,
    description: 'Where the first window starts (ISO 8601 UTC), for backfilling history; ignored once a checkpoint exists.',
    schema: isoInstant,
  }),
] as const;

export const CONNECTOR_ID_PATTERN = /^[a-z][a-z0-9]{0,31}$/;

export function connectorSettingName(connectorId: string, name: string): string {
  return `CONNECTOR__${connectorId.toUpperCase()}__${name}`;
}

export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      queueServiceUri: string;
      tableServiceUri: string;
      /** Client id of a user-assigned managed identity; absent means DefaultAzureCredential. */
      clientId?: string;
    };

export interface ConnectorSettings {
  id: string;
  enabled: boolean;
  product: ProductId;
  archiverUrl: string;
  username: string;
  /** Absent when the connector is unavailable. */
  password?: string;
  /**
   * Why this connector cannot fetch (a missing or unresolved secret, naming the setting); the
   * scheduler reports it at every run instead of fetching. Items already fetched still convert and import.
   */
  unavailable?: string;
  folderName: string;
  autoMapping: boolean;
  customMapping: boolean;
  safetyLagMinutes: number;
  startFrom?: Date;
}

export interface AppSettings {
  storage: StorageConnection;
  schedule: string;
  connectors: ConnectorSettings[];
  fetch: { initialLookbackHours: number; leaseMinutes: number; pageSize: number; partSeconds: number };
  graph: { nationalCloud: NationalCloud; endpoint: string; authority: string; tenantId?: string; clientId?: string };
  blobTriggerSource: 'EventGrid' | 'LogsAndContainerScan';
  mapping: { defaultRegion: CountryCode; mailboxCacheTtlMinutes: number };
  import: { mode: 'json' | 'importMime'; maxRetryAfterSeconds: number };
  reconcile: { minAgeMinutes: number; lookbackHours: number; maxItems: number; maxAttempts: number };
}

/** Identity-based connection settings, as the Functions host reads them. */
const IDENTITY_STORAGE_SUFFIXES = ['blobServiceUri', 'queueServiceUri', 'tableServiceUri'] as const;

/** Names of the settings that must be present for this environment (used by the tests and the infra checks). */
export function requiredSettingNames(env: Env): string[] {
  const names: string[] = [];
  if (env[STORAGE_CONNECTION] === undefined) {
    names.push(...IDENTITY_STORAGE_SUFFIXES.map((s) => `${STORAGE_CONNECTION}__${s}`));
  } else {
    names.push(STORAGE_CONNECTION);
  }
  names.push(...appSettingDeclarations.filter((d) => d.required).map((d) => d.name));
  for (const id of splitConnectorIds(env.ARCHIVE_CONNECTORS ?? '')) {
    for (const d of connectorSettingDeclarations.filter((d) => d.required)) {
      names.push(connectorSettingName(id, d.name));
    }
  }
  return names;
}

/** Every setting name the app reads in this environment, required or optional. */
export function knownSettingNames(env: Env): string[] {
  const names = [STORAGE_CONNECTION, ...IDENTITY_STORAGE_SUFFIXES.map((s) => `${STORAGE_CONNECTION}__${s}`), `${STORAGE_CONNECTION}__credential`, `${STORAGE_CONNECTION}__clientId`];
  names.push(...appSettingDeclarations.map((d) => d.name));
  for (const id of splitConnectorIds(env.ARCHIVE_CONNECTORS ?? '')) {
    names.push(...connectorSettingDeclarations.map((d) => connectorSettingName(id, d.name)));
  }
  return names;
}

function splitConnectorIds(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Validates the environment and returns typed settings, or throws SettingsError listing every
 * bad setting at once (so an operator fixes them in one pass, not one per restart).
 */
export function loadSettings(env: Env): AppSettings {
  const problems: SettingProblem[] = [];

  /** `sink`: where a problem goes (a connector collects its secrets' problems apart). */
  const read = <T>(setting: string, d: SettingDeclaration, sink: SettingProblem[] = problems): T | undefined => {
    const raw = env[setting];
    if (raw === undefined || raw.trim() === '') {
      if (d.required) sink.push({ setting, problem: `is required: ${d.description}` });
      return undefined;
    }
    const result = d.schema.safeParse(raw);
    if (!result.success) {
      const message = result.error.issues.map((i) => i.message).join('; ');
      const shown = d.secret ? '' : ` (got "${truncate(raw)}")`;
      sink.push({ setting, problem: `${message}${shown}` });
      return undefined;
    }
    return result.data as T;
  };
  const app = Object.fromEntries(appSettingDeclarations.map((d) => [d.name, d])) as Record<
    (typeof appSettingDeclarations)[number]['name'],
    SettingDeclaration
  >;

  const storage = readStorageConnection(env, problems);
  const schedule = read<string>('ARCHIVE_SCHEDULE', app.ARCHIVE_SCHEDULE) ?? '';
  const defaultLag = read<number>('FETCH_SAFETY_LAG_MINUTES', app.FETCH_SAFETY_LAG_MINUTES) ?? 60;
  const initialLookbackHours = read<number>('FETCH_INITIAL_LOOKBACK_HOURS', app.FETCH_INITIAL_LOOKBACK_HOURS) ?? 24;
  const leaseMinutes = read<number>('FETCH_LEASE_MINUTES', app.FETCH_LEASE_MINUTES) ?? 180;
  const pageSize = read<number>('FETCH_PAGE_SIZE', app.FETCH_PAGE_SIZE) ?? 200;
  const partSeconds = read<number>('FETCH_PART_SECONDS', app.FETCH_PART_SECONDS) ?? 300;
  const reconcile = {
    minAgeMinutes: read<number>('RECONCILE_MIN_AGE_MINUTES', app.RECONCILE_MIN_AGE_MINUTES) ?? 60,
    lookbackHours: read<number>('RECONCILE_LOOKBACK_HOURS', app.RECONCILE_LOOKBACK_HOURS) ?? 168,
    maxItems: read<number>('RECONCILE_MAX_ITEMS', app.RECONCILE_MAX_ITEMS) ?? 5000,
    maxAttempts: read<number>('RECONCILE_MAX_ATTEMPTS', app.RECONCILE_MAX_ATTEMPTS) ?? 3,
  };
  const blobTriggerSource = read<'EventGrid' | 'LogsAndContainerScan'>('BLOB_TRIGGER_SOURCE', app.BLOB_TRIGGER_SOURCE) ?? 'LogsAndContainerScan';
  const defaultRegion = (read<string>('MAPPING_DEFAULT_REGION', app.MAPPING_DEFAULT_REGION) ?? 'US') as CountryCode;
  const mailboxCacheTtlMinutes = read<number>('MAILBOX_CACHE_TTL_MINUTES', app.MAILBOX_CACHE_TTL_MINUTES) ?? 720;
  const importMode = read<'json' | 'importMime'>('GRAPH_IMPORT_MODE', app.GRAPH_IMPORT_MODE) ?? 'json';
  const maxRetryAfterSeconds = read<number>('GRAPH_MAX_RETRY_AFTER_SECONDS', app.GRAPH_MAX_RETRY_AFTER_SECONDS) ?? 30;
  const nationalCloud = read<NationalCloud>('GRAPH_NATIONAL_CLOUD', app.GRAPH_NATIONAL_CLOUD) ?? 'global';
  const tenantId = read<string>('GRAPH_TENANT_ID', app.GRAPH_TENANT_ID);
  const clientId = read<string>('GRAPH_CLIENT_ID', app.GRAPH_CLIENT_ID);
  const endpoint = read<string>('GRAPH_ENDPOINT', app.GRAPH_ENDPOINT) ?? nationalClouds[nationalCloud].graph;

  const connectors: ConnectorSettings[] = [];
  const idsRaw = read<string>('ARCHIVE_CONNECTORS', app.ARCHIVE_CONNECTORS);
  if (idsRaw !== undefined) {
    const ids = splitConnectorIds(idsRaw);
    if (ids.length === 0) problems.push({ setting: 'ARCHIVE_CONNECTORS', problem: 'names no connector' });
    const seen = new Set<string>();
    for (const id of ids) {
      if (!CONNECTOR_ID_PATTERN.test(id)) {
        problems.push({ setting: 'ARCHIVE_CONNECTORS', problem: `connector id "${truncate(id)}" must be 1-32 lowercase letters and digits, starting with a letter` });
        continue;
      }
      if (seen.has(id)) {
        problems.push({ setting: 'ARCHIVE_CONNECTORS', problem: `connector id "${id}" is listed twice` });
        continue;
      }
      seen.add(id);
      // A secret the platform could not resolve (Key Vault reference, missing secret) takes only its
      // own connector out of service: the others run, and this one is reported at every run.
      const secretProblems: SettingProblem[] = [];
      const c = Object.fromEntries(
        connectorSettingDeclarations.map((d) => [d.name, read(connectorSettingName(id, d.name), d, d.secret ? secretProblems : problems)]),
      ) as Record<(typeof connectorSettingDeclarations)[number]['name'], unknown>;
      if (c.PRODUCT === undefined || c.ARCHIVER_URL === undefined || c.USERNAME === undefined) continue;
      const product = c.PRODUCT as ProductId;
      connectors.push({
        id,
        enabled: (c.ENABLED as boolean | undefined) ?? true,
        product,
        archiverUrl: c.ARCHIVER_URL as string,
        username: c.USERNAME as string,
        password: c.PASSWORD as string | undefined,
        unavailable: secretProblems.length > 0 ? secretProblems.map((p) => `${p.setting} ${p.problem}`).join('; ') : undefined,
        folderName: (c.FOLDER_NAME as string | undefined) ?? productById(product)!.defaultFolderName,
        autoMapping: (c.AUTO_MAPPING as boolean | undefined) ?? true,
        customMapping: (c.CUSTOM_MAPPING as boolean | undefined) ?? false,
        safetyLagMinutes: (c.SAFETY_LAG_MINUTES as number | undefined) ?? defaultLag,
        startFrom: c.START_FROM as Date | undefined,
      });
    }
  }

  if (problems.length > 0 || !storage) throw new SettingsError(problems);
  return {
    storage,
    schedule,
    connectors,
    fetch: { initialLookbackHours, leaseMinutes, pageSize, partSeconds },
    graph: { nationalCloud, endpoint, authority: nationalClouds[nationalCloud].authority, tenantId, clientId },
    blobTriggerSource,
    mapping: { defaultRegion, mailboxCacheTtlMinutes },
    import: { mode: importMode, maxRetryAfterSeconds },
    reconcile,
  };
}

/**
 * Reads a storage connection as the Functions host does: the setting itself as a connection
 * string, else `<name>__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` for identity.
 */
export function readStorageConnection(env: Env, problems: SettingProblem[], name: string = STORAGE_CONNECTION): StorageConnection | undefined {
  const connectionString = env[name];
  if (connectionString !== undefined && connectionString.trim() !== '') {
    const s = connectionString.trim();
    if (s !== 'UseDevelopmentStorage=true' && !/(^|;)\s*(AccountName|BlobEndpoint|SharedAccessSignature)=/i.test(s)) {
      problems.push({ setting: name, problem: 'is not a storage connection string (expected UseDevelopmentStorage=true or AccountName=...;AccountKey=... / BlobEndpoint=...)' });
      return undefined;
    }
    return { kind: 'connectionString', connectionString: s };
  }
  const uris: Partial<Record<(typeof IDENTITY_STORAGE_SUFFIXES)[number], string>> = {};
  for (const suffix of IDENTITY_STORAGE_SUFFIXES) {
    const setting = `${name}__${suffix}`;
    const value = env[setting]?.trim();
    if (!value) {
      problems.push({ setting, problem: `is required when ${name} (a connection string) is not set` });
      continue;
    }
    const parsed = httpUrl.safeParse(value);
    if (!parsed.success) problems.push({ setting, problem: `must be an absolute http(s) URL (got "${truncate(value)}")` });
    else uris[suffix] = parsed.data;
  }
  if (!uris.blobServiceUri || !uris.queueServiceUri || !uris.tableServiceUri) return undefined;
  const clientId = env[`${name}__clientId`]?.trim() || undefined;
  if (clientId && !guid.safeParse(clientId).success) {
    problems.push({ setting: `${name}__clientId`, problem: 'must be a GUID' });
  }
  return { kind: 'identity', blobServiceUri: uris.blobServiceUri, queueServiceUri: uris.queueServiceUri, tableServiceUri: uris.tableServiceUri, clientId };
}

function truncate(v: string): string {
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}

export type BlobTriggerSource = 'EventGrid' | 'LogsAndContainerScan';

/**
 * The converter's blob trigger source, needed when the function is registered (before the full
 * settings are read at app start), validated by the same declaration.
 */
export function blobTriggerSource(env: Env): BlobTriggerSource {
  const raw = env.BLOB_TRIGGER_SOURCE;
  if (raw === undefined || raw.trim() === '') return 'LogsAndContainerScan';
  const d = appSettingDeclarations.find((x) => x.name === 'BLOB_TRIGGER_SOURCE')!;
  const parsed = d.schema.safeParse(raw.trim());
  if (!parsed.success) throw new SettingsError([{ setting: 'BLOB_TRIGGER_SOURCE', problem: `${parsed.error.issues[0].message} (got "${truncate(raw)}")` }]);
  return parsed.data as BlobTriggerSource;
}

let cached: AppSettings | undefined;

/** Settings of this process, validated once. Throws SettingsError naming every bad setting. */
export function appSettings(): AppSettings {
  cached ??= loadSettings(process.env);
  return cached;
}

/** For tests and the dev host, which change the environment between runs. */
export function resetAppSettingsCache(): void {
  cached = undefined;
}
