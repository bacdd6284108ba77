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

let cached: AppSettings | undefined;

/** Settings of this process, validated once. Throws SettingsError naming every bad setting. */
export function appSettings(): AppSettings {
  cached ??= loadSettings(process.env);
  return cached;
}
