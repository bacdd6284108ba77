/**
 * The app's configuration, typed, read from the declarations (app-settings.ts,
 * connector-settings.ts). The storage connection is read apart (shared/storage/connection.ts) and
 * joined to this by shared/app/settings.ts, which throws one SettingsError naming every bad setting.
 */
import type { CountryCode } from 'libphonenumber-js';
import { APP_SETTINGS } from './app-settings';
import { CONNECTOR_ID_PATTERN, readConnector, splitConnectorIds, type ConnectorSettings } from './connector-settings';
import { nationalClouds, type NationalCloud } from './national-clouds';
import { SettingsError, shown, type Env, type SettingProblem } from './problems';
import { SettingsReader } from './setting';

const MB = 1024 * 1024;

export type BlobTriggerSource = 'EventGrid' | 'LogsAndContainerScan';

export interface Config {
  schedule: string;
  connectors: ConnectorSettings[];
  fetch: {
    initialLookbackHours: number;
    leaseMinutes: number;
    pageSize: number;
    partSeconds: number;
    maxPagesPerWindow: number;
    maxLineBytes: number;
    maxAttachmentBytes: number;
    maxItemBytes: number;
  };
  /** Time bounds on every archiver and Graph request (http/io-timeouts.ts), in milliseconds. */
  http: { connectMs: number; firstByteMs: number; idleMs: number };
  /** How long jobs failing for a passing reason are retried (growing delays) before they are dead-lettered. */
  retry: { horizonSeconds: number };
  /** Days each run's per-item log is kept (the admin log). */
  adminLogRetentionDays: number;
  graph: GraphSettings;
  blobTriggerSource: BlobTriggerSource;
  mapping: { defaultRegion: CountryCode; mailboxCacheTtlMinutes: number };
  import: { mode: 'json' | 'importMime'; maxRetryAfterSeconds: number; itemClass: string; claimLeaseMs: number };
  /** Exchange Online's limits per app and mailbox, kept across instances (shared/graph/mailbox-budget.ts). */
  mailboxLimits: { concurrent: number; requests: number; requestWindowMs: number; uploadBytes: number; uploadWindowMs: number };
  reconcile: { minAgeMinutes: number; lookbackHours: number; maxItems: number; maxAttempts: number };
  /** Limits on vendor deliveries (SFTP ZIPs, journal mailbox messages), in bytes. */
  delivery: {
    maxZipBytes: number;
    maxEntries: number;
    maxEntryBytes: number;
    maxTotalBytes: number;
    maxRatio: number;
    settleMinutes: number;
    maxJournalMessageBytes: number;
  };
}

export interface GraphSettings {
  nationalCloud: NationalCloud;
  endpoint: string;
  authority: string;
  tenantId?: string;
  clientId?: string;
}

/** Reads every declared setting; problems go to `problems` (the caller throws once for all of them). */
export function readConfig(env: Env, problems: SettingProblem[]): Config {
  const r = new SettingsReader(env, problems);
  const A = APP_SETTINGS;
  const nationalCloud = r.value(A.graphNationalCloud);
  const defaultSafetyLag = r.value(A.safetyLagMinutes);
  return {
    schedule: r.read(A.schedule) ?? '',
    connectors: readConnectors(r, defaultSafetyLag),
    fetch: {
      initialLookbackHours: r.value(A.initialLookbackHours),
      leaseMinutes: r.value(A.leaseMinutes),
      pageSize: r.value(A.pageSize),
      partSeconds: r.value(A.partSeconds),
      maxPagesPerWindow: r.value(A.maxPagesPerWindow),
      maxLineBytes: r.value(A.maxLineKb) * 1024,
      maxAttachmentBytes: r.value(A.maxAttachmentMb) * MB,
      maxItemBytes: r.value(A.maxItemMb) * MB,
    },
    http: {
      connectMs: r.value(A.httpConnectTimeoutSeconds) * 1000,
      firstByteMs: r.value(A.httpFirstByteTimeoutSeconds) * 1000,
      idleMs: r.value(A.httpIdleTimeoutSeconds) * 1000,
    },
    retry: { horizonSeconds: r.value(A.retryHorizonMinutes) * 60 },
    adminLogRetentionDays: r.value(A.adminLogRetentionDays),
    graph: {
      nationalCloud,
      endpoint: r.read(A.graphEndpoint) ?? nationalClouds[nationalCloud].graph,
      authority: nationalClouds[nationalCloud].authority,
      tenantId: r.read(A.graphTenantId),
      clientId: r.read(A.graphClientId),
    },
    blobTriggerSource: r.value(A.blobTriggerSource),
    mapping: { defaultRegion: r.value(A.mappingDefaultRegion), mailboxCacheTtlMinutes: r.value(A.mailboxCacheTtlMinutes) },
    import: {
      mode: r.value(A.graphImportMode),
      maxRetryAfterSeconds: r.value(A.graphMaxRetryAfterSeconds),
      itemClass: r.value(A.graphItemClass),
      claimLeaseMs: r.value(A.importClaimLeaseSeconds) * 1000,
    },
    mailboxLimits: {
      concurrent: r.value(A.graphMailboxConcurrency),
      requests: r.value(A.graphMailboxRequests),
      requestWindowMs: r.value(A.graphMailboxRequestWindowSeconds) * 1000,
      uploadBytes: r.value(A.graphMailboxUploadMb) * MB,
      uploadWindowMs: r.value(A.graphMailboxUploadWindowSeconds) * 1000,
    },
    reconcile: {
      minAgeMinutes: r.value(A.reconcileMinAgeMinutes),
      lookbackHours: r.value(A.reconcileLookbackHours),
      maxItems: r.value(A.reconcileMaxItems),
      maxAttempts: r.value(A.reconcileMaxAttempts),
    },
    delivery: {
      maxZipBytes: r.value(A.zipMaxMb) * MB,
      maxEntries: r.value(A.zipMaxEntries),
      maxEntryBytes: r.value(A.zipMaxEntryMb) * MB,
      maxTotalBytes: r.value(A.zipMaxTotalMb) * MB,
      maxRatio: r.value(A.zipMaxRatio),
      settleMinutes: r.value(A.zipSettleMinutes),
      maxJournalMessageBytes: r.value(A.journalMaxMessageMb) * MB,
    },
  };
}

function readConnectors(r: SettingsReader, defaultSafetyLag: number): ConnectorSettings[] {
  const setting = APP_SETTINGS.connectors.name;
  const listed = r.read(APP_SETTINGS.connectors);
  if (listed === undefined) return [];
  const ids = splitConnectorIds(listed);
  if (ids.length === 0) r.problems.push({ setting, problem: 'names no connector' });
  const connectors: ConnectorSettings[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (!CONNECTOR_ID_PATTERN.test(id)) {
      r.problems.push({ setting, problem: `connector id "${shown(id)}" must be 1-32 lowercase letters and digits, starting with a letter` });
    } else if (seen.has(id)) {
      r.problems.push({ setting, problem: `connector id "${id}" is listed twice` });
    } else {
      seen.add(id);
      const connector = readConnector(r, id, defaultSafetyLag);
      if (connector) connectors.push(connector);
    }
  }
  return connectors;
}

/**
 * The blob trigger source, needed when the blob-triggered functions are registered (before the
 * whole configuration is read at app start), validated by the same declaration.
 */
export function blobTriggerSource(env: Env): BlobTriggerSource {
  const problems: SettingProblem[] = [];
  const value = new SettingsReader(env, problems).value(APP_SETTINGS.blobTriggerSource);
  if (problems.length > 0) throw new SettingsError(problems);
  return value;
}
