import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { blobTriggerSource } from '../shared/config/config';
import { services } from '../shared/app/services';
import { convertRawItem } from '../shared/converting/convert-raw-item';
import { containers, STORAGE_CONNECTION } from '../shared/storage/names';

/** Blob: convert a new raw item to a standards-valid .eml and queue its import. */
export async function converter(blob: unknown, context: InvocationContext): Promise<void> {
  const name = context.triggerMetadata?.name;
  if (typeof name !== 'string' || name === '') throw new Error('blob trigger without a blob name');
  if (!Buffer.isBuffer(blob)) throw new Error(`blob trigger for ${name} without the blob's content`);
  // The host has read the blob and its metadata (the fetcher's run id) already: convert from those.
  // https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-storage-blob-trigger#metadata
  const metadata = context.triggerMetadata?.metadata;
  const received = { content: blob, metadata: isStringRecord(metadata) ? metadata : {} };
  const result = await convertRawItem(name, { ...services(), log: (m) => context.log(m) }, received);
  if (result.status === 'dead-lettered') context.warn(`raw item ${name} dead-lettered: ${result.reason}`);
  else context.log(`raw item ${name}: ${result.status}`);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

app.storageBlob('converter', {
  path: `${containers.rawItems}/{name}`,
  connection: STORAGE_CONNECTION,
  // Flex Consumption supports only the Event Grid source; func start locally has no Event Grid.
  source: blobTriggerSource(process.env),
  handler: guarded(converter),
});
