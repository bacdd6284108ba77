/**
 * Which storage a command-line tool acts on, chosen explicitly with `--target`:
 * - `local` (the default): the local stack's Azurite, as local.settings.json names it (the running
 *   one, or one started on its data for the time of the command). Refused when those settings do
 *   not point at Azurite on loopback.
 * - `azure`: the deployment's storage account, `--account NAME`, signed in with
 *   DefaultAzureCredential (az login, environment, managed identity). local.settings.json is not
 *   read at all, so a local connection string can never win over the account asked for, and no
 *   Azurite is started.
 * Every command says on stderr which one it acts on before it touches anything.
 */
import { join, resolve } from 'node:path';
import { loadSettings, type AppSettings } from '../../shared/app/settings';
import { createStorageClients, type StorageClients } from '../../shared/storage/clients';
import type { StorageConnection } from '../../shared/storage/connection';
import { UsageError } from '../cli/command-line';
import { applyLocalSettings } from './local-settings';
import { appRoot } from './app-root';
import { portIsFree } from './ports';
import { portsOfConnectionString, startAzurite, type RunningAzurite } from './azurite';
import { requireConfigured, requireConnector } from './connectors';

export const storageTargetOptions = {
  target: { type: 'string' },
  account: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const STORAGE_TARGET_HELP = `  --target local|azure  the storage to act on (default local: the local stack's Azurite)
  --account NAME        with --target azure: the deployment's storage account (Bicep output
                        AZURE_STORAGE_ACCOUNT_NAME), signed in with DefaultAzureCredential (az login)
  --data-dir DIR        with --target local: the local stack's data folder (default .local)`;

export type StorageTarget = { kind: 'local'; dataDir: string } | { kind: 'azure'; account: string };

/** Storage account names: 3-24 lowercase letters and digits (https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage). */
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

export function storageTarget(values: { target?: string; account?: string; 'data-dir'?: string }): StorageTarget {
  const kind = values.target ?? 'local';
  if (kind === 'local') {
    if (values.account !== undefined) throw new UsageError('--account names an Azure storage account: use it with --target azure');
    return { kind: 'local', dataDir: values['data-dir'] ? resolve(values['data-dir']) : join(appRoot, '.local') };
  }
  if (kind === 'azure') {
    if (values['data-dir'] !== undefined) throw new UsageError("--data-dir is the local stack's folder: it does not apply to --target azure");
    if (!values.account) throw new UsageError('--target azure needs --account NAME: the storage account of the deployment (az storage account list -o table)');
    if (!ACCOUNT_NAME.test(values.account))
      throw new UsageError(`--account ${JSON.stringify(values.account)} is not a storage account name (3-24 lowercase letters and digits)`);
    return { kind: 'azure', account: values.account };
  }
  throw new UsageError(`--target must be local or azure, not ${JSON.stringify(kind)}`);
}

/** The identity-based connection of an account in the public cloud, as the Bicep sets AzureWebJobsStorage__*ServiceUri. */
export function azureConnection(account: string): Extract<StorageConnection, { kind: 'identity' }> {
  return {
    kind: 'identity',
    blobServiceUri: `https://${account}.blob.core.windows.net`,
    queueServiceUri: `https://${account}.queue.core.windows.net`,
    tableServiceUri: `https://${account}.table.core.windows.net`,
  };
}

export interface ToolStorage {
  storage: StorageClients;
  target: StorageTarget;
  /** What was acted on, in words (printed on stderr first). */
  description: string;
  /** The local app settings; absent for Azure, whose settings live in the function app. */
  settings?: AppSettings;
}

/**
 * Runs `use` against the target's storage. `connectorId`, when the command names one, is checked
 * first (locally before Azurite is started), so an unknown connector is refused, not "not found".
 */
export async function withTargetStorage<T>(
  target: StorageTarget,
  use: (tool: ToolStorage) => Promise<T>,
  options: { connectorId?: string; log?: (line: string) => void } = {},
): Promise<T> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (target.kind === 'azure') {
    const connection = azureConnection(target.account);
    const description = `Azure storage account "${target.account}" (${connection.blobServiceUri}), signed in with DefaultAzureCredential`;
    log(`storage: ${description}`);
    const tool: ToolStorage = { storage: createStorageClients(connection), target, description };
    if (options.connectorId) await requireConnector(tool, options.connectorId);
    return use(tool);
  }
  applyLocalSettings(appRoot);
  const settings = loadSettings(process.env);
  if (options.connectorId) requireConfigured(settings, options.connectorId);
  if (settings.storage.kind !== 'connectionString') {
    throw new UsageError(
      'local.settings.json (or the environment) gives AzureWebJobsStorage as an Azure account, not the local Azurite; for the deployment use --target azure --account NAME',
    );
  }
  const ports = portsOfConnectionString(settings.storage.connectionString);
  let azurite: RunningAzurite | undefined;
  if (await portIsFree(ports.blob)) azurite = await startAzurite({ ports, location: join(target.dataDir, 'azurite') });
  const description = `local Azurite at http://127.0.0.1:${ports.blob} (${azurite ? `started for this command on ${join(target.dataDir, 'azurite')}` : 'the running local stack'})`;
  log(`storage: ${description}`);
  try {
    return await use({ storage: createStorageClients(settings.storage), target, description, settings });
  } finally {
    await azurite?.stop();
  }
}
