/**
 * Storage clients for the one storage connection every binding uses. Locally that is a
 * connection string to Azurite; in Azure it is identity-based (`AzureWebJobsStorage__*ServiceUri`
 * plus the managed identity), the same settings the Functions host reads for its triggers.
 * https://learn.microsoft.com/en-us/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { BlobConnection, StorageConnection } from './connection';

export interface StorageClients {
  blob: BlobServiceClient;
  queue: QueueServiceClient;
  tableService: TableServiceClient;
  table(name: string): TableClient;
}

const cache = new Map<string, StorageClients>();

export function storageClients(connection: StorageConnection): StorageClients {
  const key = JSON.stringify(connection);
  let clients = cache.get(key);
  if (!clients) {
    clients = createStorageClients(connection);
    cache.set(key, clients);
  }
  return clients;
}

export function createStorageClients(connection: StorageConnection): StorageClients {
  if (connection.kind === 'connectionString') {
    const cs = connection.connectionString;
    // Azurite speaks plain HTTP; the Tables SDK refuses that unless told (Blob and Queue do not ask).
    const allowInsecureConnection = cs === 'UseDevelopmentStorage=true' || /Endpoint=http:/i.test(cs);
    const tables = new Map<string, TableClient>();
    return {
      blob: BlobServiceClient.fromConnectionString(cs),
      queue: QueueServiceClient.fromConnectionString(cs),
      tableService: TableServiceClient.fromConnectionString(cs, { allowInsecureConnection }),
      table(name) {
        let t = tables.get(name);
        if (!t) {
          t = TableClient.fromConnectionString(cs, name, { allowInsecureConnection });
          tables.set(name, t);
        }
        return t;
      },
    };
  }
  const credential: TokenCredential = connection.clientId ? new ManagedIdentityCredential({ clientId: connection.clientId }) : new DefaultAzureCredential();
  const tables = new Map<string, TableClient>();
  return {
    blob: new BlobServiceClient(connection.blobServiceUri, credential),
    queue: new QueueServiceClient(connection.queueServiceUri, credential),
    tableService: new TableServiceClient(connection.tableServiceUri, credential),
    table(name) {
      let t = tables.get(name);
      if (!t) {
        t = new TableClient(connection.tableServiceUri, name, credential);
        tables.set(name, t);
      }
      return t;
    },
  };
}

/** The blob service of a blob-only connection (the SFTP landing account). */
export function blobServiceFor(connection: BlobConnection): BlobServiceClient {
  if (connection.kind === 'connectionString') return BlobServiceClient.fromConnectionString(connection.connectionString);
  const credential: TokenCredential = connection.clientId ? new ManagedIdentityCredential({ clientId: connection.clientId }) : new DefaultAzureCredential();
  return new BlobServiceClient(connection.blobServiceUri, credential);
}
