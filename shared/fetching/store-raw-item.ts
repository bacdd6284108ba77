/**
 * Stores one raw item line: its attachments first, then the line itself, byte for byte, on its
 * deterministic path. Nothing is overwritten, so storing the same item again (a retried job, a
 * page that repeats an item) writes nothing. A line that is not a usable item, or whose
 * attachment fails its integrity check, is kept in the quarantine container with the reason.
 */
import { createHash } from 'node:crypto';
import type { ArchiverClient } from '../archiver/archiver-client';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { hasStatus } from '../http/http-error';
import { BadRawItemError, readRawItemHeader, type RawItemHeader } from '../items/raw-item';
import { quarantinePath, rawAttachmentPath, rawItemPath } from '../items/paths';
import { AttachmentIntegrityError, storeAttachment } from './store-attachment';
import { percentEncode } from '../text/percent-encode';

export type StoreOutcome =
  { outcome: 'written' | 'present'; key: string; path: string } | { outcome: 'quarantined'; key: string; path: string; reason: string };

export interface StoreContext {
  storage: StorageClients;
  archiver: ArchiverClient;
  connectorId: string;
  runId: string;
  /** Checked against the sizes the item announces, before anything is downloaded. */
  limits: { maxAttachmentBytes: number; maxItemBytes: number };
}

export async function storeRawItem(ctx: StoreContext, line: Buffer): Promise<StoreOutcome> {
  const sha256 = createHash('sha256').update(line).digest('hex');
  let header: RawItemHeader;
  try {
    header = readRawItemHeader(line);
  } catch (err) {
    if (err instanceof BadRawItemError) return quarantine(ctx, line, `line-${sha256.slice(0, 16)}`, `bad-item: ${err.message}`);
    throw err;
  }

  const tooLarge = sizeProblem(header, ctx.limits);
  if (tooLarge) return quarantine(ctx, line, header.id, tooLarge);

  const attachments = ctx.storage.blob.getContainerClient(containers.rawAttachments);
  try {
    for (const ref of header.attachments) {
      const path = rawAttachmentPath(ctx.connectorId, header.id, header.timestamp, ref.id);
      await storeAttachment(ctx.archiver, ref, attachments.getBlockBlobClient(path), {
        connector: ctx.connectorId,
        // Metadata must be ASCII; file names are not.
        filename: percentEncode(ref.name ?? ref.id).slice(0, 1024),
      });
    }
  } catch (err) {
    if (err instanceof AttachmentIntegrityError) return quarantine(ctx, line, header.id, err.message);
    throw err;
  }

  const path = rawItemPath(ctx.connectorId, header.id, header.timestamp);
  const blob = ctx.storage.blob.getContainerClient(containers.rawItems).getBlockBlobClient(path);
  const outcome = await writeOnce(
    blob,
    (options) =>
      blob.upload(line, line.length, {
        ...options,
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata: { connector: ctx.connectorId, runid: ctx.runId, sha256 },
      }),
    ctx.runId,
  );
  return { outcome, key: header.id, path };
}

/** Why an item is larger than the settings allow, from the sizes it announces; undefined if it fits. */
function sizeProblem(header: RawItemHeader, limits: StoreContext['limits']): string | undefined {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  const big = header.attachments.find((a) => a.size > limits.maxAttachmentBytes);
  if (big)
    return `attachment-too-large: attachment ${big.id} announces ${mb(big.size)}, over FETCH_MAX_ATTACHMENT_MB (${mb(limits.maxAttachmentBytes)}); not downloaded`;
  const total = header.attachments.reduce((n, a) => n + a.size, 0);
  if (total > limits.maxItemBytes)
    return `item-too-large: the item's attachments announce ${mb(total)}, over FETCH_MAX_ITEM_MB (${mb(limits.maxItemBytes)}); not downloaded`;
  return undefined;
}

/**
 * Writes a blob once (If-None-Match: *). One already there counts as written when this run wrote
 * it (an attempt that crashed before reporting it), else as present (stored before).
 */
export async function writeOnce(
  blob: BlockBlobClient,
  write: (options: { conditions: { ifNoneMatch: '*' } }) => Promise<unknown>,
  runId: string,
): Promise<'written' | 'present'> {
  try {
    await write({ conditions: { ifNoneMatch: '*' } });
    return 'written';
  } catch (err) {
    if (!hasStatus(err, 409)) throw err;
  }
  const properties = await blob.getProperties();
  return properties.metadata?.runid === runId ? 'written' : 'present';
}

/** Keeps bytes a source sent that cannot be used in raw-quarantine, with the reason; returns the container/path. */
export async function keepInQuarantine(
  storage: StorageClients,
  ctx: { connectorId: string; runId: string },
  bytes: Buffer,
  reason: string,
  extension = 'json',
): Promise<string> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const path = quarantinePath(ctx.connectorId, ctx.runId, sha256, extension);
  const blob = storage.blob.getContainerClient(containers.rawQuarantine).getBlockBlobClient(path);
  try {
    await blob.upload(bytes, bytes.length, {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      metadata: { connector: ctx.connectorId, runid: ctx.runId, reason: percentEncode(reason).slice(0, 2000) },
    });
  } catch (err) {
    if (!hasStatus(err, 409)) throw err;
  }
  return `${containers.rawQuarantine}/${path}`;
}

async function quarantine(ctx: StoreContext, line: Buffer, key: string, reason: string): Promise<StoreOutcome> {
  const kept = await keepInQuarantine(ctx.storage, ctx, line, reason);
  return { outcome: 'quarantined', key, path: kept.slice(containers.rawQuarantine.length + 1), reason };
}
