/**
 * Per-connector settings, named `CONNECTOR__<ID>__<NAME>`: `__` is how Azure app settings express
 * nesting on Linux, where `:` is not allowed in a setting name.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-app-settings
 */
import { productById, productIds, type ProductId } from '../catalogue/products';
import { APP_SETTINGS } from './app-settings';
import type { SettingProblem } from './problems';
import { bool, isoInstant, nonEmpty, nonNegativeInt, oneOf, secret, serviceUrl } from './schemas';
import { setting, type SettingsReader } from './setting';
import { DEFAULT_EML_RULES, emlRules, type EmlRules } from './eml-rules';
import { isAddressable } from '../text/email';

/** How the archiver hands items over (docs/sources.md). */
export const SOURCE_KINDS = ['http-api', 'sftp-zip', 'smtp-mailbox'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const folderName = nonEmpty.max(255, 'must be at most 255 characters').refine((v) => !/[\\/]/.test(v), 'must not contain / or \\');
const mailbox = nonEmpty.refine((v) => isAddressable(v), 'must be an email address (the mailbox UPN)');

export const CONNECTOR_SETTINGS = {
  product: setting({
    name: 'PRODUCT',
    required: true,
    description: `Archiver product: ${productIds.map((id) => `\`${id}\``).join(', ')} (\`shared/catalogue/products.ts\`).`,
    schema: oneOf(productIds),
  }),
  source: setting({
    name: 'SOURCE',
    description:
      'How the archiver hands items over: `sftp-zip` (the vendor pushes ZIPs of EMLs by SFTP to the landing storage account), `smtp-mailbox` (the vendor sends each item by SMTP to a journal mailbox of yours, read through Graph), or `http-api` (a pull API; the vendor publishes none today, docs/sources.md).',
    schema: oneOf(SOURCE_KINDS),
    default: 'http-api',
  }),
  archiverUrl: setting({
    name: 'ARCHIVER_URL',
    description: "`http-api` only, required there: base URL of the archiver account's pull interface.",
    schema: serviceUrl,
  }),
  username: setting({
    name: 'USERNAME',
    description: '`http-api` only, required there: archiver account username.',
    schema: nonEmpty,
  }),
  password: setting({
    name: 'PASSWORD',
    secret: true,
    description:
      '`http-api` only, required there: archiver account password; in Azure a Key Vault reference `@Microsoft.KeyVault(SecretUri=...)`, never the password itself. If it is missing or reaches the app unresolved, only this connector stops: each scheduler run reports it as failed with the setting name (run report, an error in Application Insights, the `connector-unavailable` alert) and leaves its watermark where it was, while the other connectors run.',
    schema: secret,
  }),
  enabled: setting({
    name: 'ENABLED',
    description: 'Whether the scheduler dispatches this connector.',
    schema: bool,
    default: true,
  }),
  folderName: setting({
    name: 'FOLDER_NAME',
    description:
      'Mailbox folder the items are imported into. The products\' folders are e.g. "Enterprise Number Archiver", "O2 SMS and Voice Network Archiver", "WhatsApp Archiver" (the catalogue lists them all).',
    schema: folderName,
    defaultNote: "the product's folder name",
  }),
  journalMailbox: setting({
    name: 'JOURNAL_MAILBOX',
    description:
      '`smtp-mailbox` only, required there: the mailbox (UPN) the vendor delivers to. The app reads only this mailbox of the source (scope it with RBAC for Applications, docs/sources.md).',
    schema: mailbox,
  }),
  journalFolder: setting({
    name: 'JOURNAL_FOLDER',
    description: '`smtp-mailbox`: the folder read with delta queries: a well-known name (`inbox`) or the display name of a top-level folder.',
    schema: folderName,
    default: 'inbox',
  }),
  processedFolder: setting({
    name: 'PROCESSED_FOLDER',
    description: '`smtp-mailbox`: top-level folder a message moves to once it is stored (never deleted).',
    schema: folderName,
    default: 'Archived by mobile-archive-connector',
  }),
  attentionFolder: setting({
    name: 'ATTENTION_FOLDER',
    description: '`smtp-mailbox`: top-level folder a message moves to when it cannot be archived; the reason is in the dead letters and the run report.',
    schema: folderName,
    default: 'Needs attention',
  }),
  emlRules: setting({
    name: 'EML_RULES',
    description:
      "`sftp-zip` and `smtp-mailbox`: how participants are read from the vendor's emails, as JSON (fields: `participantHeaders`, `nameSuffixes`, `numberIn`, `numberOnlyDomains`, `journalHeaders`, `journalByShape`; docs/sources.md). Unset fields keep their defaults.",
    schema: emlRules,
    default: DEFAULT_EML_RULES,
  }),
  autoMapping: setting({
    name: 'AUTO_MAPPING',
    description: 'Map participants by the email address the archiver gives for registered users.',
    schema: bool,
    default: true,
  }),
  customMapping: setting({
    name: 'CUSTOM_MAPPING',
    description: 'Map participants by the uploaded phone-number CSV first.',
    schema: bool,
    default: false,
  }),
  safetyLagMinutes: setting({
    name: 'SAFETY_LAG_MINUTES',
    description: `Overrides \`${APP_SETTINGS.safetyLagMinutes.name}\` for this connector (e.g. a carrier that uploads once a day).`,
    schema: nonNegativeInt(7 * 24 * 60),
    defaultNote: `\`${APP_SETTINGS.safetyLagMinutes.name}\``,
  }),
  startFrom: setting({
    name: 'START_FROM',
    description: 'Where the first window starts (ISO 8601 UTC), to backfill history; ignored once the connector has a checkpoint.',
    schema: isoInstant,
  }),
};

export const connectorSettingDeclarations = Object.values(CONNECTOR_SETTINGS);

export const CONNECTOR_ID_PATTERN = /^[a-z][a-z0-9]{0,31}$/;

export function connectorSettingName(connectorId: string, name: string): string {
  return `CONNECTOR__${connectorId.toUpperCase()}__${name}`;
}

export interface ConnectorSettings {
  id: string;
  enabled: boolean;
  product: ProductId;
  source: SourceKind;
  /** http-api only. */
  archiverUrl?: string;
  /** http-api only. */
  username?: string;
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
  /** smtp-mailbox only. */
  journal?: { mailbox: string; folder: string; processedFolder: string; attentionFolder: string };
  emlRules: EmlRules;
}

export function splitConnectorIds(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The connector's settings, or undefined when one it cannot do without is missing or bad (each is a problem in the reader). */
export function readConnector(r: SettingsReader, id: string, defaultSafetyLagMinutes: number): ConnectorSettings | undefined {
  const name = (n: string) => connectorSettingName(id, n);
  const C = CONNECTOR_SETTINGS;
  // A secret the platform could not resolve (Key Vault reference, missing secret) takes only its
  // own connector out of service: the others run, and this one is reported at every run.
  const secretProblems: SettingProblem[] = [];
  const product = r.read(C.product, name(C.product.name));
  const source = r.value(C.source, name(C.source.name));
  const onlyFor = (kind: SourceKind) => (source === kind ? `a ${kind} connector` : undefined);
  const archiverUrl = r.read(C.archiverUrl, name(C.archiverUrl.name), r.problems, onlyFor('http-api'));
  const username = r.read(C.username, name(C.username.name), r.problems, onlyFor('http-api'));
  // Its absence takes only this connector out of service, like an unresolved reference.
  const password = source === 'http-api' ? r.read(C.password, name(C.password.name), secretProblems, onlyFor('http-api')) : undefined;
  const journalMailbox = r.read(C.journalMailbox, name(C.journalMailbox.name), r.problems, onlyFor('smtp-mailbox'));
  const settings = {
    enabled: r.value(C.enabled, name(C.enabled.name)),
    folderName: r.read(C.folderName, name(C.folderName.name)),
    autoMapping: r.value(C.autoMapping, name(C.autoMapping.name)),
    customMapping: r.value(C.customMapping, name(C.customMapping.name)),
    safetyLagMinutes: r.read(C.safetyLagMinutes, name(C.safetyLagMinutes.name)) ?? defaultSafetyLagMinutes,
    startFrom: r.read(C.startFrom, name(C.startFrom.name)),
    emlRules: r.value(C.emlRules, name(C.emlRules.name)),
  };
  // Read (and so checked) whatever the source: a bad value is named even before it is used.
  const folders = {
    folder: r.value(C.journalFolder, name(C.journalFolder.name)),
    processedFolder: r.value(C.processedFolder, name(C.processedFolder.name)),
    attentionFolder: r.value(C.attentionFolder, name(C.attentionFolder.name)),
  };
  const journal = source === 'smtp-mailbox' && journalMailbox ? { mailbox: journalMailbox.toLowerCase(), ...folders } : undefined;
  if (product === undefined) return undefined;
  if (source === 'http-api' && (archiverUrl === undefined || username === undefined)) return undefined;
  if (source === 'smtp-mailbox' && journal === undefined) return undefined;
  return {
    id,
    product,
    source,
    archiverUrl,
    username,
    journal,
    password,
    unavailable: secretProblems.length > 0 ? secretProblems.map((p) => `${p.setting} ${p.problem}`).join('; ') : undefined,
    ...settings,
    folderName: settings.folderName ?? productById(product).defaultFolderName,
  };
}
