/**
 * Converts one raw item to its .eml and hands it to the importer. Idempotent: the .eml is written
 * once (If-None-Match: *) on a path derived from the raw item's, and only the execution whose write
 * created it sends the import job, then records the item "converted". A second delivery of the same
 * blob event (at once, or later) finds the .eml there and sends nothing. Should the writer have died
 * between its write and its record, the item has no "converted" row: a delivery that comes when the
 * .eml is older than WRITER_GRACE_MS (the reconciliation sweep's convert job) sends the job in its
 * place; the importer's ledger claim makes even that second job harmless. The .eml is
 * never touched after it is written, so an immutability (WORM) policy on the container is no obstacle.
 * A bad item is dead-lettered with its reason, never retried in a loop.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { QueueClient } from '@azure/storage-queue';
import type { BlobClient } from '@azure/storage-blob';
import type { ConnectorSettings } from '../config/connector-settings';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { hasStatus } from '../http/http-error';
import { sendJsonMessage } from '../storage/queue-messages';
import { uploadBody } from '../storage/upload-body';
import type { RunStatusStore } from '../runs/run-status';
import type { DeadLetterStore } from '../runs/dead-letters';
import { namedReason } from '../text/named-outcome';
import { INLINE_EML_MAX_BYTES, type ImportJob } from '../jobs/import-job';
import type { ConvertJob } from '../jobs/convert-job';
import { renderSkeleton } from '../mime/render';
import { serializeMessage } from '../mime/serialize';
import { BadRawItemError, readRawItem } from '../items/raw-item';
import { decodeMetadata, EMAIL_SUFFIX, emlPathOf } from '../items/paths';
import { BadVendorEmailError, readVendorEmail } from '../items/vendor-email';
import { composeMessage } from './compose';
import { withProvenance } from './convert-vendor-email';

export interface ConvertDeps {
  settings: { connectors: ConnectorSettings[] };
  storage: StorageClients;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  importQueue: QueueClient;
  /** Where a delivery that finds another's .eml unrecorded asks to be run again after the grace. */
  convertQueue?: QueueClient;
  log?: (message: string) => void;
  now?: () => Date;
}

export type ConvertResult = { status: 'converted' | 'already-converted'; emlPath: string } | { status: 'dead-lettered'; reason: string };

/** A raw item as the blob trigger hands it over: its content and its metadata (the fetcher's run id). */
export interface ReceivedBlob {
  content: Buffer;
  metadata: Readonly<Record<string, string>>;
}

/** `received`: what the blob trigger already read; without it (a convert job) the blob is read here. */
export async function convertRawItem(rawPath: string, deps: ConvertDeps, received?: ReceivedBlob): Promise<ConvertResult> {
  const log = deps.log ?? (() => undefined);
  // The trigger's metadata carries the fetcher's run id; a blob without it is read again rather than misfiled.
  const { content: bytes, metadata } = received?.metadata.runid ? received : await downloadRawItem(deps.storage, rawPath);
  const connectorId = rawPath.split('/')[0];
  const runId = metadata.runid ?? 'unknown-run';
  const rawSha256 = createHash('sha256').update(bytes).digest('hex');

  const deadLetter = async (key: string, outcome: string, problem: string): Promise<ConvertResult> => {
    const reason = namedReason(outcome, problem);
    await deps.deadLetters.record({ connectorId, stage: 'convert', key, reason, input: `${containers.rawItems}/${rawPath}`, runId });
    await deps.runStatus.recordItem(runId, connectorId, 'convert', key, 'failed', { reason, path: rawPath });
    log(`dead-lettered ${rawPath}: ${reason}`);
    return { status: 'dead-lettered', reason };
  };

  const connector = deps.settings.connectors.find((c) => c.id === connectorId);
  if (!connector) return deadLetter(rawPath, 'unknown-connector', `connector "${connectorId}" is not configured`);
  let converted: { itemId: string; body: Buffer | NodeJS.ReadableStream };
  try {
    converted = rawPath.endsWith(EMAIL_SUFFIX)
      ? await vendorEmailBody(rawPath, bytes, metadata, connector, rawSha256)
      : archiverItemBody(rawPath, bytes, connector, rawSha256, deps.storage);
  } catch (err) {
    if (err instanceof MissingAttachmentError) return deadLetter(err.itemId, 'attachment-missing', err.message);
    if (err instanceof BadRawItemError || err instanceof BadVendorEmailError) return deadLetter(rawPath, 'bad-item', err.message);
    throw err;
  }
  const itemId = converted.itemId;

  const emlPath = emlPathOf(rawPath);
  const eml = deps.storage.blob.getContainerClient(containers.mime).getBlockBlobClient(emlPath);
  let status: 'converted' | 'already-converted' = 'converted';
  const emlMetadata: Record<string, string> = { connector: connectorId, runid: runId, rawsha256: rawSha256 };
  const options = { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: 'message/rfc822' }, metadata: emlMetadata };
  let written: Buffer | undefined;
  try {
    written = await uploadBody(eml, converted.body, options);
  } catch (err) {
    if (err instanceof MissingAttachmentError) return deadLetter(err.itemId, 'attachment-missing', err.message);
    if (!hasStatus(err, 409)) throw err;
    status = 'already-converted';
  }

  if (status === 'converted' || (await writerGaveUp(eml, rawPath, { runId, connectorId, itemId }, deps))) {
    const job: ImportJob = { version: 1, runId, connectorId, itemId, emlPath, attempt: 0 };
    // Only the bytes this delivery wrote go along: after another delivery's write, the blob is the .eml.
    if (status === 'converted' && written && written.length <= INLINE_EML_MAX_BYTES) job.eml = written.toString('base64');
    await sendJsonMessage(deps.importQueue, job);
    await deps.runStatus.recordItem(runId, connectorId, 'convert', itemId, 'converted', { path: rawPath });
  }
  return { status, emlPath };
}

/**
 * The writer sends its job milliseconds after its write; a delivery that finds the .eml this much
 * older and still unrecorded takes its place (a crash retry, or the reconciliation sweep's job).
 */
export const WRITER_GRACE_MS = 60_000;

/** The .eml was written by an execution that never recorded it (it died): someone must send its job. */
async function writerGaveUp(
  eml: BlobClient,
  rawPath: string,
  ids: { runId: string; connectorId: string; itemId: string },
  deps: ConvertDeps,
): Promise<boolean> {
  if ((await deps.runStatus.itemOutcome(ids.runId, ids.connectorId, 'convert', ids.itemId)) === 'converted') return false;
  const { createdOn } = await eml.getProperties();
  const age = (deps.now ?? (() => new Date()))().getTime() - (createdOn?.getTime() ?? 0);
  if (age > WRITER_GRACE_MS) return true;
  // The writer may be at work, or may have died after queueing the import and before recording it
  // (a killed instance; its event comes back at once). Come back after the grace to find out: then
  // the row is there, or this delivery takes the writer's place. Without it the item would read
  // "converting" until the hourly sweep.
  const delaySeconds = Math.ceil((WRITER_GRACE_MS - age) / 1000) + 5;
  if (deps.convertQueue) {
    const job: ConvertJob = { version: 1, connectorId: ids.connectorId, rawPath };
    await sendJsonMessage(deps.convertQueue, job, { visibilityDelaySeconds: delaySeconds });
  }
  (deps.log ?? (() => undefined))(
    `${ids.connectorId}/${ids.itemId}: converted ${Math.round(age / 1000)} s ago by another delivery, which sends its import job; checked again in ${delaySeconds} s`,
  );
  return false;
}

/** A valid item whose attachment is not in Blob: dead-lettered under its id (it can be re-driven once the attachment is back). */
class MissingAttachmentError extends BadRawItemError {
  constructor(
    readonly itemId: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** An archiver item (JSON): composed into a message whose attachments stream from Blob. */
function archiverItemBody(rawPath: string, bytes: Buffer, connector: ConnectorSettings, rawSha256: string, storage: StorageClients) {
  const valid = readRawItem(bytes, connector.product);
  const plan = composeMessage(valid, { connectorId: connector.id, rawBlobPath: `${containers.rawItems}/${rawPath}`, rawSha256 });
  const attachmentBlobs = storage.blob.getContainerClient(containers.rawAttachments);
  const segments = renderSkeleton(plan);
  // An attachment is not looked for first: its download answers 404, and the .eml, whose write
  // needs the whole body (one Put Blob, or blocks committed at the end), is not written.
  const body = serializeMessage(segments, async (i) => {
    const a = plan.attachments[i];
    try {
      return (await attachmentBlobs.getBlobClient(a.blobPath).download()).readableStreamBody!;
    } catch (err) {
      if (!hasStatus(err, 404)) throw err;
      throw new MissingAttachmentError(valid.item.id, `attachment ${a.filename} is missing from Blob (${containers.rawAttachments}/${a.blobPath})`);
    }
  });
  return { itemId: valid.item.id, body };
}

/** A vendor-delivered email: our provenance headers, then the vendor's bytes unchanged. */
async function vendorEmailBody(rawPath: string, bytes: Buffer, metadata: Readonly<Record<string, string>>, connector: ConnectorSettings, rawSha256: string) {
  const itemId = rawPath.slice(rawPath.lastIndexOf('/') + 1, -EMAIL_SUFFIX.length);
  const email = await readVendorEmail(bytes, connector.emlRules);
  const receivedAt = new Date(metadata.receivedat ?? '');
  const body = withProvenance(email, {
    connector,
    itemId,
    rawBlob: `${containers.rawItems}/${rawPath}`,
    rawSha256,
    delivery: decodeMetadata(metadata.delivery ?? 'unknown'),
    receivedAt: Number.isNaN(receivedAt.getTime()) ? new Date(0) : receivedAt,
  });
  return { itemId, body };
}

async function downloadRawItem(storage: StorageClients, rawPath: string): Promise<ReceivedBlob> {
  // One request: the download answers with the metadata as well as the content.
  const download = await storage.blob.getContainerClient(containers.rawItems).getBlobClient(rawPath).download();
  return { content: await buffer(download.readableStreamBody!), metadata: download.metadata ?? {} };
}
