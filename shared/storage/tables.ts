/** The two Table calls whose "not there" is an answer, not a failure. */
import type { GetTableEntityResponse, TableClient, TableEntityResult } from '@azure/data-tables';
import { hasStatus } from '../http/http-error';

/** The entity, or undefined when there is none (404). */
export async function findEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<GetTableEntityResponse<TableEntityResult<T>> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey);
  } catch (err) {
    if (hasStatus(err, 404)) return undefined;
    throw err;
  }
}

/** Deletes an entity; false when it is gone already or, given its ETag, when it changed since it was read (412). */
export async function deleteEntityIfExists(table: TableClient, partitionKey: string, rowKey: string, etag?: string): Promise<boolean> {
  try {
    await table.deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined);
    return true;
  } catch (err) {
    if (hasStatus(err, 404) || (etag && hasStatus(err, 412))) return false;
    throw err;
  }
}
