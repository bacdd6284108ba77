/**
 * Stores one vendor-delivered email as a raw item, byte for byte, on the path its SHA-256 names
 * (items/paths.ts), written once (If-None-Match: *): an email delivered twice is stored once.
 */
import type { Readable } from 'node:stream';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { writeOnce } from './store-raw-item';
import { rawEmailPath } from '../items/paths';
import { percentEncode } from '../text/percent-encode';

export interface RawEmail {
  sha256: string;
  /** The bytes, or a stream of them (an inflating ZIP entry) and their count. */
  content: Buffer | { stream: () => Promise<Readable>; size: number };
  /** Where it came from, for the provenance: "zip <name> manifest line <n>" or "mailbox <upn> message <id>". */
  delivery: string;
  receivedAt: Date;
  /** Extra metadata (ASCII values). */
  extra?: Record<string, string>;
}

export async function storeRawEmail(
  storage: StorageClients,
  ctx: { connectorId: string; runId: string },
  email: RawEmail,
): Promise<{ outcome: 'written' | 'present'; path: string }> {
  const path = rawEmailPath(ctx.connectorId, email.sha256);
  const blob = storage.blob.getContainerClient(containers.rawItems).getBlockBlobClient(path);
  const extra = {
    blobHTTPHeaders: { blobContentType: 'message/rfc822' },
    metadata: {
      connector: ctx.connectorId,
      runid: ctx.runId,
      sha256: email.sha256,
      delivery: percentEncode(email.delivery).slice(0, 2000),
      receivedat: email.receivedAt.toISOString(),
      ...email.extra,
    },
  };
  const content = email.content;
  const outcome = await writeOnce(
    blob,
    async (options) =>
      Buffer.isBuffer(content)
        ? blob.upload(content, content.length, { ...options, ...extra })
        : blob.uploadStream(await content.stream(), 4 * 1024 * 1024, 2, { ...options, ...extra }),
    ctx.runId,
  );
  return { outcome, path };
}
