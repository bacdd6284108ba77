/**
 * Small, single-purpose encoders for what goes into a message, whatever the source sent:
 * header values folded below 78 octets (never near the 998 limit of RFC 5322 §2.1.1), non-ASCII
 * text as RFC 2047 encoded-words, parameters as RFC 2231, bodies as quoted-printable or base64
 * with 76-character lines, CRLF everywhere. Nothing a source field contains (CR, LF, quotes,
 * semicolons, very long names) can end a header or add one.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { encode as qpEncode, wrap as qpWrap } from 'libqp';
import { isAddressable } from '../text/email';

export const CRLF = '\r\n';
const FOLD_AT = 78;

/** Text that is valid UTF-16 (lone surrogates cannot be encoded as UTF-8 and are replaced). */
export function wellFormed(text: string): string {
  return text.toWellFormed();
}

/** One line for a header: every control character (CR, LF, TAB, NUL, C1, U+2028/9) becomes a space. */
export function oneLine(text: string): string {
  return wellFormed(text)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Text for a body part: valid UTF-16, CRLF line breaks, no NUL. */
export function bodyText(text: string): string {
  return wellFormed(text)
    .replace(/\u0000/g, '\uFFFD')
    .replace(/\r\n|\r|\n/g, CRLF);
}

const ENCODED_WORD_MAX_BYTES = 45; // "=?UTF-8?B?" + 60 base64 chars + "?=" = 72 <= 75 (RFC 2047 §2)

/** RFC 2047 B encoded-words, each at most 75 characters, never splitting a character. */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return;
    words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
    chunk = [];
    size = 0;
  };
  for (const ch of wellFormed(text)) {
    const bytes = Buffer.from(ch, 'utf8');
    if (size + bytes.length > ENCODED_WORD_MAX_BYTES) flush();
    chunk.push(bytes);
    size += bytes.length;
  }
  flush();
  return words;
}

/** Printable ASCII that cannot be mistaken for an encoded-word and has no overlong word. */
function isPlainText(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text) && !text.includes('=?') && text.split(' ').every((w) => w.length <= 60);
}

/** Tokens of an unstructured header value (Subject, Thread-Topic, X- text). */
export function unstructured(value: string): string[] {
  const text = oneLine(value);
  if (text === '') return [];
  return isPlainText(text) ? text.split(' ') : encodedWords(text);
}

/** Tokens of one mailbox: display name (plain, quoted or encoded) and <address>. */
export function mailbox(name: string | undefined, address: string): string[] {
  if (!isAddressable(address)) throw new Error(`not a usable address: ${JSON.stringify(address)}`);
  const display = oneLine(name ?? '');
  const angle = `<${address}>`;
  if (display === '') return [angle];
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(display) && isPlainText(display)) return [...display.split(' '), angle];
  if (isPlainText(display) && display.length <= 60) return [`"${display.replace(/(["\\])/g, '\\$1')}"`, angle];
  return [...encodedWords(display), angle];
}

/** Tokens of an address list: mailboxes separated by commas. */
export function addressList(mailboxes: { name?: string; address: string }[]): string[] {
  const tokens: string[] = [];
  mailboxes.forEach((m, i) => {
    const t = mailbox(m.name, m.address);
    if (i < mailboxes.length - 1) t[t.length - 1] += ',';
    tokens.push(...t);
  });
  return tokens;
}

/**
 * Joins tokens into a header value folded with CRLF + space, keeping every line (including the
 * "Name: " prefix on the first) within 78 characters where the tokens allow. Tokens are at most
 * 75 characters, so no line comes near 998.
 */
export function fold(headerName: string, tokens: string[]): string {
  let value = '';
  let lineLength = headerName.length + 2;
  for (const token of tokens) {
    if (value === '') {
      value = token;
      lineLength += token.length;
    } else if (lineLength + 1 + token.length > FOLD_AT) {
      value += `${CRLF} ${token}`;
      lineLength = 1 + token.length;
    } else {
      value += ` ${token}`;
      lineLength += 1 + token.length;
    }
  }
  return value;
}

const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * A MIME parameter (RFC 2045 / RFC 2231). Short, safe ASCII stays `name="value"`; anything else
 * becomes percent-encoded UTF-8 in continuations `name*0*=UTF-8''...; name*1*=...`.
 */
export function mimeParameter(name: string, value: string): string[] {
  const text = oneLine(value);
  if (/^[\x20-\x7e]*$/.test(text) && !/["\\]/.test(text) && text.length <= 60) return [`${name}="${text}"`];
  const encoded = [...Buffer.from(text, 'utf8')].map((b) =>
    ATTR_CHAR.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  );
  const sections: string[] = [];
  let current = "UTF-8''";
  for (const piece of encoded) {
    if (current.length + piece.length > 60) {
      sections.push(current);
      current = '';
    }
    current += piece;
  }
  sections.push(current);
  return sections.map((s, i) => `${name}*${i}*=${s}`);
}

/** A header value of the form `type; param; param`, folded. */
export function withParameters(headerName: string, head: string, parameters: string[][]): string {
  const tokens = [head];
  for (const p of parameters.flat()) {
    tokens[tokens.length - 1] += ';';
    tokens.push(p);
  }
  return fold(headerName, tokens);
}

/** Base64 in lines of 76 characters, CRLF-separated (RFC 2045 §6.8). */
export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/** Streaming base64 in 76-character CRLF lines, for attachments of any size. */
export class Base64LineEncoder extends Transform {
  private rest: Buffer = Buffer.alloc(0);
  private first = true;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const usable = data.length - (data.length % 57);
    this.rest = Buffer.from(data.subarray(usable));
    if (usable > 0) this.push(this.lines(data.subarray(0, usable)));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.rest.length > 0) this.push(this.lines(this.rest));
    callback();
  }

  private lines(data: Buffer): string {
    const text = base64Lines(data);
    const out = this.first ? text : CRLF + text;
    this.first = false;
    return out;
  }
}

/** Quoted-printable of a text body: UTF-8, CRLF line breaks, soft breaks within 76 characters. */
export function quotedPrintable(text: string): string {
  return qpWrap(qpEncode(Buffer.from(bodyText(text), 'utf8')), 76);
}

/** RFC 5322 date-time in UTC, e.g. "Fri, 20 Nov 2026 09:14:03 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
