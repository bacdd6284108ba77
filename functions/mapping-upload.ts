import { app, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { blobTriggerSource } from '../shared/config/config';
import { services } from '../shared/app/services';
import { applyMappingUpload, formatUploadResult } from '../shared/mapping/apply-upload';
import { containers, mappingReportPrefix, mappingUploadPrefix, STORAGE_CONNECTION } from '../shared/storage/names';

/** Blob: a custom mapping CSV dropped at mapping-uploads/incoming/<connector>/<file>. */
export async function mappingUpload(blob: unknown, context: InvocationContext): Promise<void> {
  const name = typeof context.triggerMetadata?.name === 'string' ? context.triggerMetadata.name : '';
  const [connectorId, ...rest] = name.split('/');
  const s = services();
  const report = s.storage.blob.getContainerClient(containers.mappingUploads).getBlockBlobClient(`${mappingReportPrefix}/${name}.json`);
  const write = async (body: unknown) => {
    const text = JSON.stringify(body, null, 2);
    await report.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  };
  if (!s.settings.connectors.some((c) => c.id === connectorId) || rest.length === 0) {
    await write({
      accepted: false,
      problems: [{ line: 0, problem: `put the file at ${mappingUploadPrefix}/<connector>/<file>.csv with a configured connector id` }],
    });
    context.warn(`mapping upload ${name}: no configured connector in its path`);
    return;
  }
  const result = await applyMappingUpload(connectorId, blob as Buffer, `${containers.mappingUploads}/${mappingUploadPrefix}/${name}`, {
    mapping: s.mapping,
    defaultRegion: s.settings.mapping.defaultRegion,
  });
  await write(result);
  context.log(formatUploadResult(connectorId, result));
}

app.storageBlob('mappingUpload', {
  path: `${containers.mappingUploads}/${mappingUploadPrefix}/{name}`,
  connection: STORAGE_CONNECTION,
  source: blobTriggerSource(process.env),
  handler: guarded(mappingUpload),
});
