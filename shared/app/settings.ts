/**
 * The app's settings: the storage connection and the declared configuration, validated together at
 * start-up, so an operator fixes every bad setting in one pass, not one per restart.
 */
import { APP_SETTINGS, appSettingDeclarations } from '../config/app-settings';
import { readConfig, type Config } from '../config/config';
import { connectorSettingDeclarations, connectorSettingName, splitConnectorIds } from '../config/connector-settings';
import { SettingsError, type Env, type SettingProblem } from '../config/problems';
import { LANDING_CONNECTION } from '../storage/names';
import {
  readBlobConnection,
  readStorageConnection,
  requiredStorageSettingNames,
  storageSettingNames,
  type BlobConnection,
  type StorageConnection,
} from '../storage/connection';

export interface AppSettings extends Config {
  storage: StorageConnection;
  /** The SFTP landing account (LandingStorage), read when an sftp-zip connector is configured. */
  landing?: BlobConnection;
}

/** Validates the environment and returns typed settings, or throws SettingsError listing every bad setting. */
export function loadSettings(env: Env): AppSettings {
  const problems: SettingProblem[] = [];
  const storage = readStorageConnection(env, problems);
  const config = readConfig(env, problems);
  const landing = config.connectors.some((c) => c.source === 'sftp-zip') ? readBlobConnection(env, problems, LANDING_CONNECTION) : undefined;
  problems.push(...unknownOwnSettings(env));
  if (problems.length > 0 || !storage) throw new SettingsError(problems);
  return { storage, landing, ...config };
}

/** Names of the settings that must be present for this environment (used by the tests and the infra checks). */
export function requiredSettingNames(env: Env): string[] {
  return [
    ...requiredStorageSettingNames(env),
    ...appSettingDeclarations.filter((d) => d.required).map((d) => d.name),
    ...splitConnectorIds(env[APP_SETTINGS.connectors.name] ?? '').flatMap((id) =>
      connectorSettingDeclarations.filter((d) => d.required).map((d) => connectorSettingName(id, d.name)),
    ),
  ];
}

/** Every setting name the app reads in this environment, required or optional. */
export function knownSettingNames(env: Env): string[] {
  return [
    ...storageSettingNames(),
    ...storageSettingNames(LANDING_CONNECTION),
    ...appSettingDeclarations.map((d) => d.name),
    ...splitConnectorIds(env[APP_SETTINGS.connectors.name] ?? '').flatMap((id) => connectorSettingDeclarations.map((d) => connectorSettingName(id, d.name))),
  ];
}

/** The first word of every app setting, and the connector settings' prefix: names under these are ours. */
const OWN_PREFIXES = [...new Set(appSettingDeclarations.map((d) => `${d.name.split('_')[0]}_`)), 'CONNECTOR_'];
/** Names under our prefixes that belong to others: the proxy variable, the local Graph simulator's settings. */
const FOREIGN = /^(HTTP_PROXY|GRAPH_SIM_[A-Z_]+)$/;
const CONNECTOR_SETTING = /^CONNECTOR__([A-Z0-9]+)__([A-Z_]+)$/;

/**
 * A name under one of our prefixes that the app does not read is a misspelling (e.g.
 * CONNECTOR__O2__CUSTOM_MAPING): silently ignored, it would leave the default in force while the
 * operator believes otherwise. Settings of a connector not listed in ARCHIVE_CONNECTORS are allowed
 * (a connector taken out of the list keeps its settings), but their names are checked too.
 */
function unknownOwnSettings(env: Env): SettingProblem[] {
  const appNames = new Set(appSettingDeclarations.map((d) => d.name));
  const connectorNames = new Set(connectorSettingDeclarations.map((d) => d.name));
  const problems: SettingProblem[] = [];
  for (const name of Object.keys(env)) {
    if (env[name] === undefined || !OWN_PREFIXES.some((p) => name.startsWith(p)) || FOREIGN.test(name) || appNames.has(name)) continue;
    const connector = CONNECTOR_SETTING.exec(name);
    if (connector && connectorNames.has(connector[2])) continue;
    problems.push({
      setting: name,
      problem: connector
        ? `is not a connector setting this app reads (misspelt? connector settings are CONNECTOR__<ID>__ followed by one of: ${[...connectorNames].join(', ')})`
        : 'is not a setting this app reads (misspelt? every setting is listed in docs/configuration.md)',
    });
  }
  return problems;
}

let cached: AppSettings | undefined;

/** Settings of this process, validated once. Throws SettingsError naming every bad setting. */
export function appSettings(): AppSettings {
  cached ??= loadSettings(process.env);
  return cached;
}
