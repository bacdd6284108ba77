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

/** How many UTF-8 bytes one B encoded-word can carry in `room` characters (at least one character's worth). */
export function encodedWordBytesFor(room: number): number {
  return Math.max(4, Math.min(ENCODED_WORD_MAX_BYTES, Math.floor((room - 12) / 4) * 3));
}

/**
 * RFC 2047 B encoded-words, each at most 75 characters, never splitting a character, and split
 * only at spaces (each space stays inside the word before it, as whitespace between encoded-words
 * is dropped by decoders, RFC 2047 §6.2), so a phone number or a name's word is never cut in two
 * for an indexer. Only a single word longer than an encoded-word can hold is split, at characters.
 * `firstBytes` is the budget of the first word, to fit the rest of a header's first line.
 */
export function encodedWords(text: string, firstBytes = ENCODED_WORD_MAX_BYTES): string[] {
  const words: string[] = [];
  let chunk = '';
  let limit = firstBytes;
  const size = (s: string) => Buffer.byteLength(s, 'utf8');
  const flush = () => {
    if (chunk === '') return;
    words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    chunk = '';
    limit = ENCODED_WORD_MAX_BYTES;
  };
  for (const piece of wellFormed(text).match(/ +|[^ ]+ */g) ?? []) {
    if (size(chunk + piece) <= limit) {
      chunk += piece;
      continue;
    }
    flush();
    if (size(piece) <= limit) {
      chunk = piece;
      continue;
    }
    for (const ch of piece) {
      if (size(chunk + ch) > limit) flush();
      chunk += ch;
    }
  }
  flush();
  return words;
}

/** Printable ASCII that cannot be mistaken for an encoded-word and has no overlong word. */
function isPlainText(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text) && !text.includes('=?') && text.split(' ').every((w) => w.length <= 60);
}

/** Characters left on a header's first line after `Name: `. */
const firstLineRoom = (headerName: string) => FOLD_AT - headerName.length - 2;

/** Tokens of an unstructured header value (Subject, Thread-Topic, X- text); the first fits `headerName`'s first line. */
export function unstructured(value: string, headerName = ''): string[] {
  const text = oneLine(value);
  if (text === '') return [];
  return isPlainText(text) ? text.split(' ') : encodedWords(text, encodedWordBytesFor(firstLineRoom(headerName)));
}

/** Tokens of one mailbox: display name (plain, quoted or encoded) and <address>. */
export function mailbox(name: string | undefined, address: string, headerName = ''): string[] {
  if (!isAddressable(address)) throw new Error(`not a usable address: ${JSON.stringify(address)}`);
  const display = oneLine(name ?? '');
  const angle = `<${address}>`;
  if (display === '') return [angle];
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(display) && isPlainText(display)) return [...display.split(' '), angle];
  if (isPlainText(display) && display.length <= 60) return [`"${display.replace(/(["\\])/g, '\\$1')}"`, angle];
  return [...encodedWords(display, encodedWordBytesFor(firstLineRoom(headerName))), angle];
}

/** Tokens of an address list: mailboxes separated by commas. */
export function addressList(mailboxes: { name?: string; address: string }[], headerName = ''): string[] {
  const tokens: string[] = [];
  mailboxes.forEach((m, i) => {
    const t = mailbox(m.name, m.address, i === 0 ? headerName : '');
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
 * An ASCII stand-in for a parameter value, for readers that do not know RFC 2231: accents dropped,
 * other non-ASCII characters as `_`, quotes and backslashes escaped, at most 60 characters (the end
 * kept, for the file extension).
 */
function asciiFallback(text: string): string {
  let ascii = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/g, '_');
  if (ascii.length > 60) ascii = `${ascii.slice(0, 30)}_${ascii.slice(-29)}`;
  return ascii.replace(/(["\\])/g, '\\$1');
}

/**
 * A MIME parameter (RFC 2045 / RFC 2231). Short, safe ASCII stays `name="value"`; anything else is
 * given twice: an ASCII `name="..."` for readers that only know RFC 2045, then percent-encoded UTF-8
 * in continuations `name*0*=UTF-8''...; name*1*=...`, which RFC 2231 readers prefer (RFC 6266 §4.3).
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
  return [`${name}="${asciiFallback(text)}"`, ...sections.map((s, i) => `${name}*${i}*=${s}`)];
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

/**
 * Quoted-printable of a text body: UTF-8, CRLF line breaks, soft breaks within 76 characters. A
 * line that would start with `-` starts with `=2D` instead, so no text, wherever the soft breaks
 * fall, can make a line a MIME parser takes for a boundary; `From ` at a line start is `=46rom ` so
 * mbox tools do not mangle it (RFC 2049 §3, items 8 and 9).
 */
export function quotedPrintable(text: string): string {
  // Wrapped at 74 so that the 2 characters a leading `=2D` adds keep every line within 76.
  const lines = qpWrap(qpEncode(Buffer.from(bodyText(text), 'utf8')), 74)
    .split(CRLF)
    .map((line) => (line.startsWith('-') ? `=2D${line.slice(1)}` : line.startsWith('From ') ? `=46${line.slice(1)}` : line));
  return lines.join(CRLF);
}

/** RFC 5322 date-time in UTC, e.g. "Fri, 20 Nov 2026 09:14:03 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
