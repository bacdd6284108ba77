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

/** Deletes the entity; false when there was none (404). */
export async function deleteEntityIfExists(table: TableClient, partitionKey: string, rowKey: string): Promise<boolean> {
  try {
    await table.deleteEntity(partitionKey, rowKey);
    return true;
  } catch (err) {
    if (hasStatus(err, 404)) return false;
    throw err;
  }
}
