/**
 * Storage for the command-line tools (export:eml, mapping, redrive): the local stack's Azurite (the
 * running one, or one started on its data for the time of the command), or, when AzureWebJobsStorage
 * is identity-based, the Azure storage account itself (signed in with DefaultAzureCredential).
 */
import { join, resolve } from 'node:path';
import { loadSettings, type AppSettings } from '../../shared/app/settings';
import { createStorageClients, type StorageClients } from '../../shared/storage/clients';
import { applyLocalSettings } from './local-settings';
import { appRoot } from './app-root';
import { portIsFree } from './ports';
import { portsOfConnectionString, startAzurite, type RunningAzurite } from './azurite';

/** Removes `--data-dir DIR` from args and returns the data folder (default .local/). */
export function takeDataDir(args: string[]): string {
  const at = args.indexOf('--data-dir');
  return at >= 0 ? resolve(args.splice(at, 2)[1] ?? '') : join(appRoot, '.local');
}

export async function withStackStorage<T>(dataDir: string, use: (storage: StorageClients, settings: AppSettings) => Promise<T>): Promise<T> {
  applyLocalSettings(appRoot);
  const settings = loadSettings(process.env);
  let azurite: RunningAzurite | undefined;
  if (settings.storage.kind === 'connectionString') {
    const ports = portsOfConnectionString(settings.storage.connectionString);
    if (await portIsFree(ports.blob)) azurite = await startAzurite({ ports, location: join(dataDir, 'azurite') });
  }
  try {
    return await use(createStorageClients(settings.storage), settings);
  } finally {
    await azurite?.stop();
  }
}

/** Runs a command's main, printing its error and setting the exit code. */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
