/**
 * Reads a converted .eml with a MIME parser: the message file is the contract between converter and
 * importer, so the importer takes subject, bodies, people and attachments from it, not from the raw item.
 */
import PostalMime from 'postal-mime';

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
  attachments: { filename: string; mimeType: string; disposition: 'inline' | 'attachment'; contentId?: string; content: Buffer }[];
}

export async function readItemMessage(eml: Buffer): Promise<ItemMessage> {
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
    attachments: email.attachments.map((a) => ({
      filename: a.filename ?? 'attachment',
      mimeType: a.mimeType,
      disposition: a.disposition === 'inline' ? 'inline' : 'attachment',
      contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : undefined,
      content: Buffer.from(a.content as ArrayBuffer),
    })),
  };
}
