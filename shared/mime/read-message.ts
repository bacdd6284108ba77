/**
 * Reads a converted .eml with a MIME parser: the message file is the contract between converter and
 * importer, so the importer takes subject, bodies, people and attachments from it, not from the raw item.
 * A large .eml is read without holding it (large-parts.ts): its large attachments are measured and
 * hashed on the way, and their bytes are read again, streamed, when they are sent.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import PostalMime from 'postal-mime';
import { readPart, takeOutLargeParts, type TakenPart } from './large-parts';

export interface MessageAttachment {
  filename: string;
  mimeType: string;
  disposition: 'inline' | 'attachment';
  contentId?: string;
  /** Decoded byte count. */
  size: number;
  sha256: string;
  /** The bytes, when they are held (every attachment of a small message, and the small ones of a large one). */
  content?: Buffer;
  /** The bytes from `offset` on, streamed (for a held attachment, from memory). */
  read: (offset?: number) => AsyncIterable<Buffer>;
}

export interface ItemMessage {
  subject: string;
  html: string;
  text: string;
  date: Date;
  internetMessageId: string;
  from: { name: string; address: string };
  to: { name: string; address: string }[];
  cc: { name: string; address: string }[];
  headers: Map<string, string>;
  attachments: MessageAttachment[];
}

export async function readItemMessage(eml: Buffer): Promise<ItemMessage> {
  return parse(eml, () => undefined);
}

/**
 * Reads an .eml from a stream, holding only what is small; `open` streams the message again from
 * its start (a large attachment is read from it when it is sent, as often as a retry needs).
 */
export async function readLargeItemMessage(source: Readable, open: () => Promise<Readable>): Promise<ItemMessage> {
  const { reduced, parts } = await takeOutLargeParts(source);
  const byMarker = new Map(parts.map((p) => [p.marker, p]));
  const message = await parse(reduced, (content) => {
    // A marker is short ASCII; an attachment of that exact text is the part taken out.
    if (content.length > 200) return undefined;
    const part = byMarker.get(content.toString('latin1').trim());
    if (!part) return undefined;
    byMarker.delete(part.marker);
    return { size: part.size, sha256: part.sha256, read: (offset = 0) => checked(readPart(open, part.leaf, offset), part, offset) };
  });
  if (byMarker.size > 0) {
    // A large part that is not an attachment (a body text): read the message whole instead.
    const chunks: Buffer[] = [];
    for await (const chunk of await open()) chunks.push(chunk as Buffer);
    return readItemMessage(Buffer.concat(chunks));
  }
  return message;
}

/** The part's bytes as read again, checked at their end against the size and (read from the start) the SHA-256 measured first. */
async function* checked(bytes: AsyncIterable<Buffer>, part: TakenPart, offset: number): AsyncGenerator<Buffer> {
  const hash = offset === 0 ? createHash('sha256') : undefined;
  let at = offset;
  for await (const chunk of bytes) {
    hash?.update(chunk);
    at += chunk.length;
    yield chunk;
  }
  if (at !== part.size) throw new Error(`MIME part ${part.leaf + 1} read again has ${at} bytes, not ${part.size}`);
  if (hash && hash.digest('hex') !== part.sha256) throw new Error(`MIME part ${part.leaf + 1} read again does not have the SHA-256 measured first`);
}

type Streamed = Pick<MessageAttachment, 'size' | 'sha256' | 'read'>;

async function parse(eml: Buffer, streamed: (content: Buffer) => Streamed | undefined): Promise<ItemMessage> {
  const email = await PostalMime.parse(eml);
  const addr = (a: unknown) => ({ name: (a as { name?: string }).name ?? '', address: (a as { address?: string }).address ?? '' });
  // The first occurrence wins: the provenance headers a converter writes come before anything a
  // vendor email carries, so a header of the same name further down cannot override them.
  const headers = new Map<string, string>();
  for (const h of email.headers) if (!headers.has(h.key.toLowerCase())) headers.set(h.key.toLowerCase(), h.value);
  if (!email.messageId || !email.date || !email.from) throw new Error('the .eml lacks Message-ID, Date or From');
  return {
    subject: email.subject ?? '',
    html: email.html ?? '',
    text: email.text ?? '',
    date: new Date(email.date),
    internetMessageId: email.messageId,
    from: addr(email.from),
    to: (email.to ?? []).map(addr),
    cc: (email.cc ?? []).map(addr),
    headers,
    attachments: email.attachments.map((a) => {
      const content = Buffer.from(a.content as ArrayBuffer);
      const described = {
        filename: a.filename ?? 'attachment',
        mimeType: a.mimeType,
        disposition: a.disposition === 'inline' ? ('inline' as const) : ('attachment' as const),
        contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : undefined,
      };
      const large = streamed(content);
      if (large) return { ...described, ...large };
      return { ...described, ...heldBytes(content) };
    }),
  };
}

/** An attachment whose bytes are in memory. */
function heldBytes(content: Buffer): Pick<MessageAttachment, 'size' | 'sha256' | 'content' | 'read'> {
  return {
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content,
    read: (offset = 0) => Readable.from(offset < content.length ? [content.subarray(offset)] : []),
  };
}
