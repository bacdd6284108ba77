/**
 * What a converted message says of its item, for the stages after the converter: the converter
 * writes it (converting/compose.ts) and the importer reads it back, so the .eml is the whole
 * contract between them and the importer never opens the raw item.
 * - X-MobileArchive-Participants lists every participant's number, X-MobileArchive-Sender the sender's;
 * - From is the sender and To the others, in the order of the participant list;
 * - a participant without an email address gets a synthetic one under SYNTHETIC_DOMAIN (RFC 2606
 *   `.invalid`: unique, searchable, never deliverable), so an address outside it is the participant's email.
 * A vendor-delivered email (X-MobileArchive-Source sftp-zip or smtp-mailbox) keeps the vendor's own
 * From/To/Cc, so its participants header carries each participant whole: `+447700900123 <a@b.example>`,
 * `+447700900123` or `<a@b.example>`, comma-separated, the sender first.
 * The importer reads the first occurrence of each of these headers: ours come first in the file.
 */
import type { ItemMessage } from '../mime/read-message';

export const SYNTHETIC_DOMAIN = 'mobile-archive.invalid';

export const AUDIT_HEADERS = {
  connector: 'X-MobileArchive-Connector',
  product: 'X-MobileArchive-Product',
  itemType: 'X-MobileArchive-Item-Type',
  itemId: 'X-MobileArchive-Item-Id',
  timestamp: 'X-MobileArchive-Timestamp',
  direction: 'X-MobileArchive-Direction',
  archivedLine: 'X-MobileArchive-Archived-Line',
  sender: 'X-MobileArchive-Sender',
  participants: 'X-MobileArchive-Participants',
  conversationId: 'X-MobileArchive-Conversation-Id',
  rawBlob: 'X-MobileArchive-Raw-Blob',
  rawSha256: 'X-MobileArchive-Raw-SHA256',
  /** Vendor-delivered emails only. */
  source: 'X-MobileArchive-Source',
  delivery: 'X-MobileArchive-Delivery',
  originalSha256: 'X-MobileArchive-Original-SHA256',
  journalEnvelope: 'X-MobileArchive-Journal-Envelope',
  note: 'X-MobileArchive-Note',
} as const;

/** Source kinds whose emails carry participants whole (the vendor's From/To/Cc stay as they are). */
const VENDOR_SOURCES = new Set(['sftp-zip', 'smtp-mailbox']);

/** `<digits>@<connector>.mobile-archive.invalid` for a participant the archiver gives no email for. */
export function syntheticAddress(number: string, connectorId: string): string {
  return `${number.replace(/^\+/, '')}@${connectorId}.${SYNTHETIC_DOMAIN}`;
}

function isSynthetic(address: string): boolean {
  return address.toLowerCase().endsWith(`.${SYNTHETIC_DOMAIN}`);
}

/**
 * Where the sender is in the participant list: the last participant with the sender's number. From
 * is that participant, To the others in list order.
 */
export function senderIndex(numbers: readonly string[], senderNumber: string): number {
  return numbers.lastIndexOf(senderNumber);
}

export interface MessageParticipant {
  /** Null for a participant the vendor names only by email address. */
  number: string | null;
  /** The participant's email address as the archiver gave it, if any. */
  email: string | null;
}

export interface MessageItem {
  participants: MessageParticipant[];
  /** The item's own time (the mapping in force then applies). */
  at: Date;
}

export class BadItemMessageError extends Error {
  constructor(reason: string) {
    super(`the converted message does not describe its item: ${reason}`);
    this.name = 'BadItemMessageError';
  }
}

/** The participants header of a vendor email: `+number <email>` entries, comma-separated. */
export function formatVendorParticipants(participants: readonly MessageParticipant[]): string {
  return participants.map((p) => [p.number, p.email && `<${p.email}>`].filter((v) => v).join(' ')).join(', ');
}

function parseVendorParticipants(value: string): MessageParticipant[] {
  return value.split(',').map((entry) => {
    const m = /^(\+?[0-9]{3,15})?\s*(?:<([^<>\s]+@[^<>\s]+)>)?$/.exec(entry.trim());
    if (!m || (!m[1] && !m[2])) throw new BadItemMessageError(`participant entry "${entry.trim().slice(0, 80)}" is neither a number nor <address>`);
    return { number: m[1] ?? null, email: m[2]?.toLowerCase() ?? null };
  });
}

/** Participants (number and email) and time of the item a converted message carries. */
export function itemOfMessage(message: ItemMessage): MessageItem {
  const header = (name: string) => {
    const value = message.headers.get(name.toLowerCase());
    if (value === undefined) throw new BadItemMessageError(`no ${name} header`);
    return value.replace(/\s+/g, ' ').trim();
  };
  if (VENDOR_SOURCES.has(message.headers.get(AUDIT_HEADERS.source.toLowerCase())?.trim() ?? '')) {
    const at = new Date(header(AUDIT_HEADERS.timestamp));
    if (Number.isNaN(at.getTime())) throw new BadItemMessageError(`${AUDIT_HEADERS.timestamp} is not a time`);
    return { participants: parseVendorParticipants(header(AUDIT_HEADERS.participants)), at };
  }
  const numbers = header(AUDIT_HEADERS.participants)
    .split(',')
    .map((n) => n.trim());
  const at = new Date(header(AUDIT_HEADERS.timestamp));
  if (Number.isNaN(at.getTime())) throw new BadItemMessageError(`${AUDIT_HEADERS.timestamp} is not a time`);
  const senderAt = senderIndex(numbers, header(AUDIT_HEADERS.sender));
  if (senderAt < 0) throw new BadItemMessageError('the sender is not among the participants');
  if (numbers.length - 1 !== message.to.length) {
    throw new BadItemMessageError(`${numbers.length} participants but ${message.to.length + 1} addresses`);
  }
  const emailOf = (address: string) => (address === '' || isSynthetic(address) ? null : address.toLowerCase());
  let next = 0;
  const participants = numbers.map((number, i) => ({ number, email: emailOf(i === senderAt ? message.from.address : message.to[next++].address) }));
  return { participants, at };
}
