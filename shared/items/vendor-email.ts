/**
 * Reads an email the archiver vendor delivered (an EML from an SFTP ZIP, or a message from the
 * journal mailbox): which bytes are the item (the email itself, or the original a journal report
 * wraps), its participants by the connector's rules (config/eml-rules.ts), its time and identity.
 * Nothing here guesses: an email whose participant headers say nothing usable is refused with the
 * header names it has, so the rules can be fixed for the vendor's real layout (docs/sources.md).
 */
import { createHash } from 'node:crypto';
import PostalMime, { addressParser, decodeWords } from 'postal-mime';
import type { EmlRules } from '../config/eml-rules';
import { isAddressable } from '../text/email';
import { NamedError } from '../text/named-outcome';

export type VendorEmailProblem = 'not-mime' | 'journal-without-original' | 'unknown-layout' | 'spoofed-provenance';

export class BadVendorEmailError extends NamedError<VendorEmailProblem> {}

export interface VendorParticipant {
  /** The header it was read from (From, To, Cc, ...). */
  header: string;
  name: string;
  /** As written, with a leading + (digits-only international numbers get one, as the vendor writes them without). */
  number: string | null;
  email: string | null;
}

export interface JournalEnvelope {
  /** The report's own Message-ID, From and Date, and the envelope's fields (Sender, To, ...) as written. */
  reportMessageId: string | null;
  reportFrom: string | null;
  reportDate: string | null;
  fields: { name: string; value: string }[];
}

export interface VendorEmail {
  /** The bytes archived as the item: the email as delivered, or the original a journal report wraps. */
  original: Buffer;
  journal: JournalEnvelope | null;
  messageId: string | null;
  date: Date | null;
  /** The sender first, then the others in header order, each once. */
  participants: VendorParticipant[];
  /** Address entries of the participant headers that named neither a number nor an address. */
  unparsed: { header: string }[];
}

/** Headers of ours a vendor email must not carry: the importer would read them as our provenance. */
const OUR_HEADER_PREFIX = 'x-mobilearchive-';
const PHONE_IN_NAME = /^\+?[0-9][0-9 ().-]{4,24}$/;
const PHONE_LOCAL_PART = /^\+?[0-9]{6,15}$/;
const PARSE_OPTIONS = { maxNestingDepth: 50, maxHeadersSize: 1024 * 1024, forceRfc822Attachments: true } as const;

/** The item id of a vendor email: the SHA-256 of the archived bytes, so the same email delivered twice is one item. */
export function vendorItemId(original: Buffer): string {
  return createHash('sha256').update(original).digest('hex');
}

export async function readVendorEmail(bytes: Buffer, rules: EmlRules): Promise<VendorEmail> {
  checkStartsWithHeaders(bytes, 'the file');
  const outer = await PostalMime.parse(bytes, PARSE_OPTIONS);
  const outerNames = outer.headers.map((h) => h.key.toLowerCase());
  const journal = isJournal(outer, outerNames, rules);
  let original = bytes;
  let envelope: JournalEnvelope | null = null;
  let email = outer;
  if (journal) {
    const wrapped = outer.attachments.filter((a) => a.mimeType.toLowerCase() === 'message/rfc822');
    if (wrapped.length !== 1) {
      throw new BadVendorEmailError(
        'journal-without-original',
        `a journal report must wrap exactly one original message (message/rfc822 part); this one has ${wrapped.length}`,
      );
    }
    original = Buffer.from(wrapped[0].content as ArrayBuffer);
    checkStartsWithHeaders(original, 'the wrapped original');
    envelope = {
      reportMessageId: outer.messageId ?? null,
      reportFrom: outer.from && 'address' in outer.from ? (outer.from.address ?? null) : null,
      reportDate: outer.date ?? null,
      fields: envelopeFields(outer.text ?? ''),
    };
    email = await PostalMime.parse(original, PARSE_OPTIONS);
  }
  if (email.headers.some((h) => h.key.toLowerCase().startsWith(OUR_HEADER_PREFIX))) {
    throw new BadVendorEmailError('spoofed-provenance', `it carries X-MobileArchive-* headers, which only this app writes`);
  }

  const participants: VendorParticipant[] = [];
  const unparsed: { header: string }[] = [];
  for (const header of rules.participantHeaders) {
    for (const h of email.headers.filter((x) => x.key.toLowerCase() === header.toLowerCase())) {
      for (const a of addressParser(h.value, { flatten: true })) {
        const p = participantOf(header, a.name ?? '', a.address ?? '', rules);
        if (!p) unparsed.push({ header });
        else if (!participants.some((q) => same(q, p))) participants.push(p);
      }
    }
  }
  if (participants.length === 0) {
    throw new BadVendorEmailError(
      'unknown-layout',
      `no participant could be read from ${rules.participantHeaders.join(', ')}` +
        `${unparsed.length > 0 ? ` (${unparsed.length} entries named neither a number nor an address)` : ''}; ` +
        `headers seen: ${headerNamesAsWritten(original).join(', ')}. Adjust the connector's EML_RULES (docs/sources.md)`,
    );
  }
  const date = email.date ? new Date(email.date) : null;
  return {
    original,
    journal: envelope,
    messageId: email.messageId ?? null,
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    participants,
    unparsed,
  };
}

/** The header field names of a message's top-level header block, as written (the parser lowercases them). */
function headerNamesAsWritten(bytes: Buffer): string[] {
  const end = bytes.indexOf('\n\r\n') >= 0 ? bytes.indexOf('\n\r\n') : bytes.indexOf('\n\n');
  const head = bytes.subarray(0, end >= 0 ? end : Math.min(bytes.length, 64 * 1024)).toString('latin1');
  const names = head
    .split(/\r?\n/)
    .map((line) => /^([!-9;-~]{1,76}):/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)].slice(0, 100);
}

/** A MIME message starts with a header field; a ZIP, a PDF or text without headers is not one. */
function checkStartsWithHeaders(bytes: Buffer, what: string): void {
  const head = bytes.subarray(0, 1000).toString('latin1');
  const firstLine = head.split(/\r?\n/, 1)[0];
  if (bytes.length === 0 || !/^[!-9;-~]{1,76}:/.test(firstLine) || head.includes('\0')) {
    throw new BadVendorEmailError('not-mime', `${what} is not a MIME message (it does not start with a header field; ${bytes.length} bytes)`);
  }
}

function isJournal(email: { attachments: { mimeType: string }[] }, headerNames: string[], rules: EmlRules): boolean {
  if (rules.journalHeaders.some((h) => headerNames.includes(h.toLowerCase()))) return true;
  if (!rules.journalByShape) return false;
  const rfc822 = email.attachments.filter((a) => a.mimeType.toLowerCase() === 'message/rfc822');
  return rfc822.length === 1 && email.attachments.length === 1;
}

/** "Sender: a@b" lines of a journal envelope's text part. */
function envelopeFields(text: string): { name: string; value: string }[] {
  return text
    .split(/\r?\n/)
    .map((line) => /^([A-Za-z][A-Za-z-]{0,40}):\s*(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(0, 50)
    .map((m) => ({ name: m[1], value: m[2].slice(0, 2000) }));
}

function participantOf(header: string, rawName: string, rawAddress: string, rules: EmlRules): VendorParticipant | null {
  let name = decodeWords(rawName).trim();
  for (const suffix of rules.nameSuffixes) {
    if (name.endsWith(` ${suffix}`)) name = name.slice(0, -suffix.length - 1).trim();
  }
  const address = rawAddress.trim().toLowerCase();
  const [local, domain] = address.split('@');
  let number: string | null = null;
  if (rules.numberIn.includes('name') && PHONE_IN_NAME.test(name) && digits(name).length >= 6 && digits(name).length <= 15) number = asNumber(name);
  if (!number && rules.numberIn.includes('localPart') && local && PHONE_LOCAL_PART.test(local)) number = asNumber(local);
  const numberOnly = domain !== undefined && rules.numberOnlyDomains.some((d) => d.toLowerCase() === domain);
  const email = address !== '' && /^[\x21-\x7e]+$/.test(address) && isAddressable(address) && !numberOnly ? address : null;
  if (!number && !email) return null;
  return { header, name, number, email };
}

function digits(v: string): string {
  return v.replace(/[^0-9]/g, '');
}

/**
 * "+44 7700 900123" and "0044 7700 900123" -> "+447700900123"; "447700900123" -> "+447700900123" (the
 * vendor writes international numbers without +, S8 in docs/sources.md); a national number ("07700
 * 900123") stays national, for the importer to read in MAPPING_DEFAULT_REGION.
 */
function asNumber(v: string): string {
  const d = digits(v);
  if (v.trim().startsWith('+')) return `+${d}`;
  if (d.startsWith('00')) return `+${d.slice(2)}`;
  return d.startsWith('0') ? d : `+${d}`;
}

function same(a: VendorParticipant, b: VendorParticipant): boolean {
  return (a.email !== null && a.email === b.email) || (a.number !== null && a.number === b.number);
}
