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

export const CONNECTOR_SETTINGS = {
  product: setting({
    name: 'PRODUCT',
    required: true,
    description: `Archiver product: ${productIds.map((id) => `\`${id}\``).join(', ')} (\`shared/catalogue/products.ts\`).`,
    schema: oneOf(productIds),
  }),
  archiverUrl: setting({
    name: 'ARCHIVER_URL',
    required: true,
    description: "Base URL of the archiver account's pull interface.",
    schema: serviceUrl,
  }),
  username: setting({
    name: 'USERNAME',
    required: true,
    description: 'Archiver account username.',
    schema: nonEmpty,
  }),
  password: setting({
    name: 'PASSWORD',
    required: true,
    secret: true,
    description:
      'Archiver account password; in Azure a Key Vault reference `@Microsoft.KeyVault(SecretUri=...)`, never the password itself. If it is missing or reaches the app unresolved, only this connector stops: each scheduler run reports it as failed with the setting name (run report, an error in Application Insights, the `connector-unavailable` alert) and leaves its watermark where it was, while the other connectors run.',
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
    schema: nonEmpty.max(255, 'must be at most 255 characters').refine((v) => !/[\\/]/.test(v), 'must not contain / or \\'),
    defaultNote: "the product's folder name",
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
  const archiverUrl = r.read(C.archiverUrl, name(C.archiverUrl.name));
  const username = r.read(C.username, name(C.username.name));
  const password = r.read(C.password, name(C.password.name), secretProblems);
  const settings = {
    enabled: r.value(C.enabled, name(C.enabled.name)),
    folderName: r.read(C.folderName, name(C.folderName.name)),
    autoMapping: r.value(C.autoMapping, name(C.autoMapping.name)),
    customMapping: r.value(C.customMapping, name(C.customMapping.name)),
    safetyLagMinutes: r.read(C.safetyLagMinutes, name(C.safetyLagMinutes.name)) ?? defaultSafetyLagMinutes,
    startFrom: r.read(C.startFrom, name(C.startFrom.name)),
  };
  if (product === undefined || archiverUrl === undefined || username === undefined) return undefined;
  return {
    id,
    product,
    archiverUrl,
    username,
    password,
    unavailable: secretProblems.length > 0 ? secretProblems.map((p) => `${p.setting} ${p.problem}`).join('; ') : undefined,
    ...settings,
    folderName: settings.folderName ?? productById(product).defaultFolderName,
  };
}
