import { app, type InvocationContext } from '@azure/functions';
import { blobTriggerSource } from '../shared/config/config';
import { services } from '../shared/app/services';
import { convertRawItem } from '../shared/converting/convert-raw-item';
import { containers, STORAGE_CONNECTION } from '../shared/storage/names';

/** Blob: convert a new raw item to a standards-valid .eml and queue its import. */
export async function converter(_blob: unknown, context: InvocationContext): Promise<void> {
  const name = context.triggerMetadata?.name;
  if (typeof name !== 'string' || name === '') throw new Error('blob trigger without a blob name');
  const result = await convertRawItem(name, { ...services(), log: (m) => context.log(m) });
  if (result.status === 'dead-lettered') context.warn(`raw item ${name} dead-lettered: ${result.reason}`);
  else context.log(`raw item ${name}: ${result.status}`);
}

app.storageBlob('converter', {
  path: `${containers.rawItems}/{name}`,
  connection: STORAGE_CONNECTION,
  // Flex Consumption supports only the Event Grid source; func start locally has no Event Grid.
  source: blobTriggerSource(process.env),
  handler: converter,
});
