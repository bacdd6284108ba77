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

/** Raw items that are vendor-delivered emails end in .eml (archiver items are .json). */
export const EMAIL_SUFFIX = '.eml';

/**
 * A vendor-delivered email, by the SHA-256 of the archived bytes: the same email delivered twice (a
 * ZIP sent again or renamed, a journal mailbox read again) lands on the same path and is stored once.
 */
export function rawEmailPath(connectorId: string, sha256: string): string {
  return `${connectorId}/emails/${sha256}${EMAIL_SUFFIX}`;
}

/** The converted message of a raw item: the same path in mime-messages, with .eml for .json (an .eml keeps its name). */
export function emlPathOf(rawPath: string): string {
  return rawPath.endsWith(EMAIL_SUFFIX) ? rawPath : rawPath.replace(/\.json$/, '') + EMAIL_SUFFIX;
}

/** Blob metadata is ASCII: names and ids from outside are stored percent-encoded (text/percent-encode.ts). */
export function decodeMetadata(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function quarantinePath(connectorId: string, runId: string, sha256: string, extension = 'json'): string {
  return `${connectorId}/${runId}/${sha256}.${extension}`;
}
