/**
 * Stores one vendor-delivered email as a raw item, byte for byte, on the path its SHA-256 names
 * (items/paths.ts), written once (If-None-Match: *): an email delivered twice is stored once.
 */
import type { Readable } from 'node:stream';
import type { StorageClients } from '../storage/clients';
import { containers } from '../storage/names';
import { hasStatus } from '../http/http-error';
import { encodeMetadata, rawEmailPath } from '../items/paths';

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
  const options = {
    conditions: { ifNoneMatch: '*' },
    blobHTTPHeaders: { blobContentType: 'message/rfc822' },
    metadata: {
      connector: ctx.connectorId,
      runid: ctx.runId,
      sha256: email.sha256,
      delivery: encodeMetadata(email.delivery),
      receivedat: email.receivedAt.toISOString(),
      ...email.extra,
    },
  };
  try {
    if (Buffer.isBuffer(email.content)) await blob.upload(email.content, email.content.length, options);
    else await blob.uploadStream(await email.content.stream(), 4 * 1024 * 1024, 2, options);
  } catch (err) {
    if (!hasStatus(err, 409)) throw err;
    // Ours from an earlier attempt of this run counts as written; another delivery's, as present.
    const properties = await blob.getProperties();
    return { outcome: properties.metadata?.runid === ctx.runId ? 'written' : 'present', path };
  }
  return { outcome: 'written', path };
}
