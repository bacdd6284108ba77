/**
 * The "conversion" of an email the vendor delivered (an EML from an SFTP ZIP, a message from the
 * journal mailbox): it already is email, so the converted message is our provenance headers
 * followed by the vendor's bytes unchanged (for a journal report, the original it wraps; the
 * envelope goes into the provenance). The importer reads the participants from those headers
 * (items/message-contract.ts) exactly as for converted archiver items.
 */
import { createHash } from 'node:crypto';
import type { ConnectorSettings } from '../config/connector-settings';
import { AUDIT_HEADERS, formatVendorParticipants } from '../items/message-contract';
import type { VendorEmail } from '../items/vendor-email';
import { fold, unstructured } from '../mime/encoding';

export interface VendorProvenance {
  connector: ConnectorSettings;
  itemId: string;
  /** containers.rawItems/<path>, and the SHA-256 of the delivered file. */
  rawBlob: string;
  rawSha256: string;
  /** Where it came from: "zip <name> manifest line <n>" or "mailbox <upn> message <id>". */
  delivery: string;
  /** When the vendor's email has no usable Date: when it was delivered. */
  receivedAt: Date;
}

/** The converted message: provenance header lines, then the vendor's bytes as they are. */
export function withProvenance(email: VendorEmail, p: VendorProvenance): Buffer {
  const eol = lineEnding(email.original);
  const sender = email.participants[0];
  const headers: [string, string][] = [
    [AUDIT_HEADERS.connector, p.connector.id],
    [AUDIT_HEADERS.product, p.connector.product],
    [AUDIT_HEADERS.itemType, email.journal ? 'journal-email' : 'email'],
    [AUDIT_HEADERS.itemId, p.itemId],
    [AUDIT_HEADERS.source, p.connector.source],
    [AUDIT_HEADERS.delivery, p.delivery],
    [AUDIT_HEADERS.timestamp, (email.date ?? p.receivedAt).toISOString()],
    [AUDIT_HEADERS.sender, formatVendorParticipants([sender])],
    [AUDIT_HEADERS.participants, formatVendorParticipants(email.participants)],
    [AUDIT_HEADERS.rawBlob, p.rawBlob],
    [AUDIT_HEADERS.rawSha256, p.rawSha256],
    [AUDIT_HEADERS.originalSha256, createHash('sha256').update(email.original).digest('hex')],
  ];
  if (!email.date) headers.push([AUDIT_HEADERS.note, 'the vendor email has no usable Date; the timestamp is when it was delivered']);
  if (email.unparsed.length > 0) {
    headers.push([
      AUDIT_HEADERS.note,
      `${email.unparsed.length} address entries in ${[...new Set(email.unparsed.map((u) => u.header))].join(', ')} named no participant`,
    ]);
  }
  if (email.journal) {
    const j = email.journal;
    const envelope = [
      `report-message-id=${j.reportMessageId ?? '-'}`,
      `report-from=${j.reportFrom ?? '-'}`,
      `report-date=${j.reportDate ?? '-'}`,
      ...j.fields.map((f) => `${f.name}=${f.value}`),
    ].join('; ');
    headers.push([AUDIT_HEADERS.journalEnvelope, envelope]);
  }
  const block = headers.map(([name, value]) => `${name}: ${fold(name, tokensOf(value)).replace(/\r\n/g, eol)}${eol}`).join('');
  return Buffer.concat([Buffer.from(block, 'utf8'), email.original]);
}

/**
 * Ids, hashes, paths and addresses stay plain ASCII (folded at spaces; a long hash on its own line
 * is far below the 998 limit), so they are searchable and Graph passes them on as they are; only
 * text with other characters (an envelope's names) becomes encoded-words.
 */
function tokensOf(value: string): string[] {
  return /^[\x20-\x7e]*$/.test(value) && !value.includes('=?') ? value.split(' ').filter((t) => t !== '') : unstructured(value);
}

/** The vendor's own line ending, so the headers we add do not mix CRLF into an LF file. */
function lineEnding(bytes: Buffer): string {
  const lf = bytes.indexOf(0x0a);
  return lf > 0 && bytes[lf - 1] === 0x0d ? '\r\n' : lf < 0 ? '\r\n' : '\n';
}
