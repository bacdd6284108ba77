/**
 * The scheduled part of an sftp-zip connector: a sweep of its landing container for ZIPs no event
 * brought (Event Grid gave up, a file renamed into place, a ZIP that was still uploading when its
 * event came). Each blob whose current ETag was settled before is skipped without being read; the
 * rest go through the same ingest as the event-triggered function.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ConnectorSettings } from '../config/connector-settings';
import type { FetchJob } from '../jobs/fetch-job';
import type { DeadLetterStore } from '../runs/dead-letters';
import { landingContainerOf } from '../storage/names';
import type { DeliveryStore } from './delivery-store';
import type { FetchDeps, SourcePart } from './fetch-types';
import { ingestZip } from './ingest-zip';

/** Blobs listed per page. */
const PAGE_SIZE = 500;

export type SweepDeps = FetchDeps & { landing: BlobServiceClient; deliveries: DeliveryStore; deadLetters: DeadLetterStore };

export async function sweepLanding(job: FetchJob, connector: ConnectorSettings, deps: SweepDeps, deadline: number): Promise<SourcePart> {
  const now = deps.now ?? (() => new Date());
  const result: SourcePart = { pages: 0, written: 0, present: 0, quarantined: 0 };
  const container = deps.landing.getContainerClient(landingContainerOf(connector.id));
  const pages = container.listBlobsFlat().byPage({ maxPageSize: PAGE_SIZE, continuationToken: job.cursor });
  for await (const page of pages) {
    result.pages++;
    for (const blob of page.segment.blobItems) {
      if (!/\.zip$/i.test(blob.name)) continue;
      if ((await deps.deliveries.settledBlob(connector.id, blob.name)) === blob.properties.etag) continue;
      const r = await ingestZip(connector.id, blob.name, () => Promise.resolve(job.runId), deps);
      result.written += r.written;
      result.present += r.present;
      if (r.outcome === 'refused') result.quarantined++;
    }
    if (!page.continuationToken) return result;
    if (now().getTime() >= deadline) return { ...result, cursor: page.continuationToken };
  }
  return result;
}
