/**
 * Renders a message plan with mimetext, wrapped so that what comes out is valid whatever the
 * input. mimetext decides the MIME tree (alternative / related / mixed) and writes the skeleton;
 * we give it CRLF line endings, boundaries drawn from a hash of the whole message, our own header encoders (its defaults
 * use one unfolded encoded-word per value, unescaped file names, a random Message-ID and the
 * current Date), and, where an attachment's body goes, a placeholder: the serializer streams the
 * body there, so an attachment of any size never sits in memory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { MIMEMessage, type Mailbox } from './mimetext';
import type { MessagePlan } from './message-plan';
import { addressList, fold, mailbox, mimeParameter, oneLine, quotedPrintable, rfc5322Date, unstructured, withParameters, CRLF } from './encoding';
import { percentEncode } from '../text/percent-encode';

export type Segment = { text: string } | { attachment: number };

const envctx = {
  toBase64: (data: string) => Buffer.from(data).toString('base64'),
  toBase64WebSafe: (data: string) => Buffer.from(data).toString('base64url'),
  eol: CRLF,
  // Our content types are checked before they get here (compose.ts).
  validateContentType: (type: string) => type,
};

/** Audit header values are ASCII by construction; split only at spaces. */
function auditTokens(value: string): string[] {
  return oneLine(value)
    .replace(/[^\x20-\x7e]/g, (c) => percentEncode(c))
    .split(' ')
    .filter((t) => t !== '');
}

export function renderSkeleton(plan: MessagePlan): Segment[] {
  const msg = new MIMEMessage(envctx);
  // Boundaries from a hash of everything the message says: the same item always renders the same
  // bytes, and no item can carry its own boundary (its text would have to contain the hash of
  // itself). Quoted-printable never starts a line with "-" and base64 has no "-" at all, so no
  // encoded part can hold a delimiter line in any case; boundaryCollision() checks that it did not.
  const seed = createHash('sha256').update(JSON.stringify(plan)).digest('hex');
  msg.boundaries = { mixed: `mixed_${seed.slice(0, 24)}`, alt: `alt_${seed.slice(24, 48)}`, related: `rel_${seed.slice(40, 64)}` };

  // mimetext drops the text/plain part when there are inline images; every structure here keeps
  // text and HTML as a multipart/alternative (flat when the message itself is the alternative).
  msg.dumpTextContent = (plaintext, html, boundary) => {
    const parts = [plaintext, html].filter((p) => p !== undefined);
    if (boundary === msg.boundaries.alt || parts.length < 2) return parts.map((p) => `--${boundary}${CRLF}${p.dump()}`).join(CRLF + CRLF);
    const alt = msg.boundaries.alt;
    return [
      `--${boundary}${CRLF}Content-Type: multipart/alternative; boundary=${alt}${CRLF}`,
      ...parts.map((p) => `--${alt}${CRLF}${p.dump()}${CRLF}`),
      `--${alt}--`,
    ].join(CRLF);
  };

  const field = (name: string) => msg.headers.fields.find((f) => f.name === name)!;
  field('Subject').dump = (v) => fold('Subject', unstructured(v as string, 'Subject'));
  field('From').dump = (v) => fold('From', mailbox((v as Mailbox).name, (v as Mailbox).addr, 'From'));
  for (const name of ['To', 'Cc']) {
    field(name).dump = (v) =>
      fold(
        name,
        addressList(
          (Array.isArray(v) ? v : [v as Mailbox]).map((m) => ({ name: m.name, address: m.addr })),
          name,
        ),
      );
  }

  msg.setHeader('Date', rfc5322Date(plan.date));
  msg.setSender({ name: plan.from.name, addr: plan.from.address });
  if (plan.to.length > 0)
    msg.setRecipients(
      plan.to.map((a) => ({ name: a.name, addr: a.address })),
      { type: 'To' },
    );
  msg.setHeader('Message-ID', plan.messageId);
  msg.setSubject(plan.subject);
  msg.setHeader('In-Reply-To', plan.references);
  msg.setHeader('References', plan.references);
  msg.setHeader('Thread-Topic', fold('Thread-Topic', unstructured(plan.threadTopic, 'Thread-Topic')));
  msg.setHeader('Thread-Index', plan.threadIndex);
  for (const [name, value] of plan.auditHeaders) msg.setHeader(name, fold(name, auditTokens(value)));

  msg.addMessage({ contentType: 'text/plain', data: quotedPrintable(plan.text), encoding: 'quoted-printable', charset: 'UTF-8' });
  msg.addMessage({ contentType: 'text/html', data: quotedPrintable(plan.html), encoding: 'quoted-printable', charset: 'UTF-8' });

  const nonce = randomUUID();
  const placeholder = (i: number) => `@@attachment-${i}-${nonce}@@`;
  plan.attachments.forEach((a, i) => {
    const part = msg.addAttachment({
      filename: 'attachment',
      contentType: a.contentType,
      data: placeholder(i),
      inline: a.inline,
      headers: a.contentId ? { 'Content-ID': `<${a.contentId}>` } : {},
    });
    part.setHeader('Content-Type', withParameters('Content-Type', a.contentType, [mimeParameter('name', a.filename)]));
    part.setHeader(
      'Content-Disposition',
      withParameters('Content-Disposition', a.inline ? 'inline' : 'attachment', [mimeParameter('filename', a.filename), [`size=${a.size}`]]),
    );
  });

  const raw = `${msg.asRaw()}${CRLF}`;
  const collision = boundaryCollision(raw, Object.values(msg.boundaries));
  if (collision) throw new Error(`rendered message ${plan.messageId}: ${collision}`);
  const segments: Segment[] = [];
  let rest = raw;
  plan.attachments.forEach((_, i) => {
    const at = rest.indexOf(placeholder(i));
    segments.push({ text: rest.slice(0, at) }, { attachment: i });
    rest = rest.slice(at + placeholder(i).length);
  });
  segments.push({ text: rest });
  return segments;
}

/**
 * Checks a rendered skeleton the way a MIME parser reads it: every line that starts with `--` and
 * a boundary in use must be a delimiter mimetext wrote (one per part, and one close per multipart).
 * Returns what is wrong, or null.
 */
export function boundaryCollision(raw: string, boundaries: readonly string[]): string | null {
  const declared = [...raw.matchAll(/boundary="?([^";\s]+)"?/gi)].map((m) => m[1]);
  const dashed = raw.split(CRLF).filter((l) => l.startsWith('--'));
  for (const b of boundaries.filter((x) => declared.includes(x))) {
    const lines = dashed.filter((l) => l.startsWith(`--${b}`));
    const closes = lines.filter((l) => l === `--${b}--`).length;
    if (closes !== 1 || lines.some((l) => l !== `--${b}` && l !== `--${b}--`)) return `a line of content looks like the boundary ${b}`;
    if (lines[lines.length - 1] !== `--${b}--`) return `content after the closing boundary ${b}`;
  }
  return null;
}
