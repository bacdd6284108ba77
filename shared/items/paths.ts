/**
 * Deterministic blob paths of raw items and attachments (docs/archiver-source.md): the same item
 * always lands on the same path, which is what makes a retried fetch write nothing twice.
 */
import { percentEncode } from '../text/percent-encode';

/** Percent-encodes everything but letters, digits, ".", "_" and "-" (no "/" can split a path). */
export function encodePathSegment(value: string): string {
  const encoded = percentEncode(value).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // "." and ".." are not usable as names of their own.
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

function datePath(timestamp: Date): string {
  const iso = timestamp.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
}

export function rawItemPath(connectorId: string, itemId: string, timestamp: Date): string {
  return `${connectorId}/${datePath(timestamp)}/${encodePathSegment(itemId)}.json`;
}

export function rawAttachmentPath(connectorId: string, itemId: string, timestamp: Date, attachmentId: string): string {
  return `${connectorId}/${datePath(timestamp)}/${encodePathSegment(itemId)}/${encodePathSegment(attachmentId)}`;
}

/** The converted message of a raw item: the same path in mime-messages, with .eml for .json. */
export function emlPathOf(rawPath: string): string {
  return rawPath.replace(/\.json$/, '') + '.eml';
}

export function quarantinePath(connectorId: string, runId: string, sha256: string): string {
  return `${connectorId}/${runId}/${sha256}.json`;
}
