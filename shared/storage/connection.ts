/**
 * The storage connection every binding uses, read as the Functions host reads it: the setting
 * itself as a connection string, else `<name>__blobServiceUri` / `__queueServiceUri` /
 * `__tableServiceUri` for an identity-based connection.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
 */
import type { Env, SettingProblem } from '../config/problems';
import { shown } from '../config/problems';
import { guid, httpUrl } from '../config/schemas';
import { STORAGE_CONNECTION } from './names';

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

const IDENTITY_SUFFIXES = ['blobServiceUri', 'queueServiceUri', 'tableServiceUri'] as const;

/** The settings a connection needs in this environment: the connection string if set, else the identity-based ones. */
export function requiredStorageSettingNames(env: Env, name: string = STORAGE_CONNECTION): string[] {
  return env[name] === undefined ? IDENTITY_SUFFIXES.map((s) => `${name}__${s}`) : [name];
}

/** Every setting a connection may be read from. */
export function storageSettingNames(name: string = STORAGE_CONNECTION): string[] {
  return [name, ...IDENTITY_SUFFIXES.map((s) => `${name}__${s}`), `${name}__credential`, `${name}__clientId`];
}

export function readStorageConnection(env: Env, problems: SettingProblem[], name: string = STORAGE_CONNECTION): StorageConnection | undefined {
  const connectionString = env[name]?.trim();
  if (connectionString) {
    if (connectionString !== 'UseDevelopmentStorage=true' && !/(^|;)\s*(AccountName|BlobEndpoint|SharedAccessSignature)=/i.test(connectionString)) {
      problems.push({
        setting: name,
        problem: 'is not a storage connection string (expected UseDevelopmentStorage=true or AccountName=...;AccountKey=... / BlobEndpoint=...)',
      });
      return undefined;
    }
    return { kind: 'connectionString', connectionString };
  }
  const uris: Partial<Record<(typeof IDENTITY_SUFFIXES)[number], string>> = {};
  for (const suffix of IDENTITY_SUFFIXES) {
    const setting = `${name}__${suffix}`;
    const value = env[setting]?.trim();
    if (!value) {
      problems.push({ setting, problem: `is required when ${name} (a connection string) is not set` });
      continue;
    }
    const parsed = httpUrl.safeParse(value);
    if (!parsed.success) problems.push({ setting, problem: `must be an absolute http(s) URL (got "${shown(value)}")` });
    else uris[suffix] = parsed.data;
  }
  if (!uris.blobServiceUri || !uris.queueServiceUri || !uris.tableServiceUri) return undefined;
  const clientId = env[`${name}__clientId`]?.trim() || undefined;
  if (clientId && !guid.safeParse(clientId).success) {
    problems.push({ setting: `${name}__clientId`, problem: 'must be a GUID' });
  }
  return { kind: 'identity', blobServiceUri: uris.blobServiceUri, queueServiceUri: uris.queueServiceUri, tableServiceUri: uris.tableServiceUri, clientId };
}

/** A connection used only for blobs (the SFTP landing account): a connection string, or `<name>__blobServiceUri` and the identity. */
export type BlobConnection = { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; blobServiceUri: string; clientId?: string };

export function readBlobConnection(env: Env, problems: SettingProblem[], name: string): BlobConnection | undefined {
  if (env[name]?.trim()) {
    const full = readStorageConnection(env, problems, name);
    return full?.kind === 'connectionString' ? full : undefined;
  }
  const setting = `${name}__blobServiceUri`;
  const value = env[setting]?.trim();
  if (!value) {
    problems.push({ setting, problem: `is required for the sftp-zip connectors (or ${name}, a connection string)` });
    return undefined;
  }
  const parsed = httpUrl.safeParse(value);
  if (!parsed.success) {
    problems.push({ setting, problem: `must be an absolute http(s) URL (got "${shown(value)}")` });
    return undefined;
  }
  const clientId = env[`${name}__clientId`]?.trim() || undefined;
  if (clientId && !guid.safeParse(clientId).success) problems.push({ setting: `${name}__clientId`, problem: 'must be a GUID' });
  return { kind: 'identity', blobServiceUri: parsed.data, clientId };
}
