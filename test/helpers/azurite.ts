import { startAzurite, type RunningAzurite } from '../../dev/stack/azurite';
import { createStorageClients, type StorageClients } from '../../shared/storage/clients';
import { ensureStorageLayout } from '../../shared/storage/provision';

export interface TestStorage {
  azurite: RunningAzurite;
  connectionString: string;
  storage: StorageClients;
  stop(): Promise<void>;
}

/** An in-memory Azurite on free loopback ports with the app's storage layout created. */
export async function startTestStorage(): Promise<TestStorage> {
  const azurite = await startAzurite();
  const storage = createStorageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
  await ensureStorageLayout(storage, { devHost: true });
  return { azurite, connectionString: azurite.connectionString, storage, stop: () => azurite.stop() };
}
