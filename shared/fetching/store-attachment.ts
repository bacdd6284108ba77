/**
 * Streams one attachment from the archiver into a block blob, never holding more than one block
 * in memory, so a 150 MB recording costs a few MB. Blocks are staged as they arrive and the SHA-256
 * is computed over the staged bytes, so a download cut off mid-way resumes (HTTP Range) from the
 * last staged block instead of starting over. The blob is committed only when size and SHA-256
 * match what the item announced, and only if no blob exists there yet (If-None-Match: *).
 * An attachment that fits in one block is sent as one Put Blob, without asking first whether it is
 * there: the conditional write answers that (409), and a retried item downloads at most 4 MiB again.
 * A larger one is looked for first, so a retry does not download 150 MB to learn it was stored.
 */
import { createHash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { ArchiverClient } from '../archiver/archiver-client';
import type { RawAttachment } from '../items/raw-item';
import { failureOf, hasStatus } from '../http/http-error';
import { permanentClientError } from '../http/retry-decision';

export const BLOCK_SIZE = 4 * 1024 * 1024;
const MAX_RESUMES = 5;

export type AttachmentOutcome = 'written' | 'present';

/** Why an attachment cannot be stored; each is a named outcome in the run report. */
export type AttachmentProblem = 'attachment-mismatch' | 'attachment-gone' | 'attachment-refused' | 'attachment-incomplete';

/** The attachment cannot be stored as the item describes it, and asking again will not change that: its item is quarantined. */
export class AttachmentIntegrityError extends Error {
  constructor(
    attachmentId: string,
    detail: string,
    readonly problem: AttachmentProblem = 'attachment-mismatch',
  ) {
    super(`${problem}: attachment ${attachmentId}: ${detail}`);
    this.name = 'AttachmentIntegrityError';
  }
}

export async function storeAttachment(
  archiver: ArchiverClient,
  ref: RawAttachment,
  blob: BlockBlobClient,
  metadata: Record<string, string>,
): Promise<AttachmentOutcome> {
  const whole = ref.size <= BLOCK_SIZE;
  if (!whole && (await blob.exists())) return 'present';
  const hash = createHash('sha256');
  const blockIds: string[] = [];
  let staged = 0;
  let contentType = ref.contentType ?? undefined;

  // One block buffer, reused: stageBlock has sent it by the time it resolves, so memory stays flat.
  const block = Buffer.allocUnsafe(whole ? ref.size : BLOCK_SIZE);
  const stage = async (bytes: Buffer) => {
    const id = Buffer.from(String(blockIds.length).padStart(8, '0')).toString('base64');
    await blob.stageBlock(id, bytes, bytes.length);
    hash.update(bytes);
    blockIds.push(id);
    staged += bytes.length;
  };
  for (let attempt = 0; ; attempt++) {
    let fill = 0;
    try {
      const download = await archiver.downloadAttachment(ref.id, staged);
      contentType ??= download.contentType;
      for await (const chunk of download.stream) {
        const buf = chunk as Buffer;
        if (staged + fill + buf.length > ref.size) throw new AttachmentIntegrityError(ref.id, `more bytes than the announced ${ref.size}`);
        for (let offset = 0; offset < buf.length;) {
          const n = buf.copy(block, fill, offset, Math.min(buf.length, offset + BLOCK_SIZE - fill));
          fill += n;
          offset += n;
          // An attachment of exactly one block is not staged: it goes as one Put Blob below.
          if (fill === BLOCK_SIZE && !whole) {
            await stage(block);
            fill = 0;
          }
        }
      }
      if (whole) {
        staged = fill;
        hash.update(block.subarray(0, fill));
      } else if (fill > 0) await stage(block.subarray(0, fill));
      break;
    } catch (err) {
      // A cut-off stream resumes after the last staged block (the unstaged tail is fetched again);
      // anything else is not ours to retry.
      if (err instanceof AttachmentIntegrityError) throw err;
      const status = failureOf(err).status;
      if (status === 404 || status === 410)
        throw new AttachmentIntegrityError(ref.id, `the archiver answered HTTP ${status} (purged at the source?)`, 'attachment-gone');
      if (permanentClientError(err)) {
        throw new AttachmentIntegrityError(ref.id, `the archiver refused the download with HTTP ${status}`, 'attachment-refused');
      }
      if (!isCutOff(err)) throw err;
      if (attempt >= MAX_RESUMES) {
        throw new AttachmentIntegrityError(
          ref.id,
          `cut off ${attempt + 1} times, ${staged} of ${ref.size} bytes kept (${(err as Error).message})`,
          'attachment-incomplete',
        );
      }
    }
  }

  if (staged !== ref.size) throw new AttachmentIntegrityError(ref.id, `received ${staged} bytes, the item announced ${ref.size}`);
  const digest = hash.digest('hex');
  if (digest !== ref.sha256.toLowerCase()) throw new AttachmentIntegrityError(ref.id, 'SHA-256 does not match the item');
  const options = {
    conditions: { ifNoneMatch: '*' },
    blobHTTPHeaders: { blobContentType: contentType ?? 'application/octet-stream' },
    metadata: { ...metadata, sha256: digest },
  };
  try {
    if (whole) await blob.upload(block.subarray(0, staged), staged, options);
    else await blob.commitBlockList(blockIds, options);
  } catch (err) {
    if (hasStatus(err, 409, 412)) return 'present';
    throw err;
  }
  return 'written';
}

function isCutOff(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ECONNREFUSED' ||
    /aborted|socket hang up|terminated/i.test((err as Error)?.message ?? '')
  );
}
