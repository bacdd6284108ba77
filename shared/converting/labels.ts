/**
 * How a message names people and times, in text (headers, text part) and in HTML, so that they
 * read right in every script:
 * - HTML: every name in `<bdi>`, every number in `<span dir="ltr">` (both isolate, HTML §4.5 and the
 *   UA style sheet's `unicode-bidi: isolate`), so an Arabic or Hebrew name never pulls the number
 *   or the next participant into right-to-left order.
 * - Text: a name with right-to-left letters or bidi controls is wrapped in FSI…PDI and its number in
 *   LRI…PDI (Unicode Bidirectional Algorithm, UAX #9 §2.7). The isolates sit outside the number, so
 *   "+447700900103" stays one searchable run; names in Latin, CJK and other left-to-right scripts,
 *   which need nothing, stay free of invisible characters.
 * - Times: UTC with milliseconds, as the archiver gave them.
 */
import { escapeHtml } from '../text/html';

/** Text with its HTML form: the same words, the HTML one with isolation markup. */
export interface Rich {
  text: string;
  html: string;
}

export const plain = (text: string): Rich => ({ text, html: escapeHtml(text) });

export function joinRich(parts: readonly Rich[], separator: string): Rich {
  return { text: parts.map((p) => p.text).join(separator), html: parts.map((p) => p.html).join(escapeHtml(separator)) };
}

const FSI = '\u2068';
const LRI = '\u2066';
const PDI = '\u2069';

/**
 * Right-to-left blocks (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, their presentation
 * forms, and the RTL planes of the SMP) and every bidi control (U+061C, U+200E/F, U+202A-E, U+2066-9).
 */
const NEEDS_ISOLATION = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]|\p{Bidi_Control}/u;

export function needsIsolation(text: string): boolean {
  return NEEDS_ISOLATION.test(text);
}

/** A participant as shown: `Name (+E.164)`, or the number alone. */
export function participantLabel(p: { number: string; name: string | null }): Rich {
  const name = p.name?.trim() || null;
  const numberHtml = (n: string) => `<span dir="ltr">${escapeHtml(n)}</span>`;
  if (name === null) return { text: p.number, html: numberHtml(p.number) };
  const text = needsIsolation(name) ? `${FSI}${name}${PDI} ${LRI}(${p.number})${PDI}` : `${name} (${p.number})`;
  return { text, html: `<bdi>${escapeHtml(name)}</bdi> ${numberHtml(`(${p.number})`)}` };
}

/** A group or other free text from the source, isolated like a name. */
export function isolatedText(value: string): Rich {
  return { text: needsIsolation(value) ? `${FSI}${value}${PDI}` : value, html: `<bdi>${escapeHtml(value)}</bdi>` };
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m ${String(rest).padStart(2, '0')}s` : `${m}m ${String(rest).padStart(2, '0')}s`;
}

/** "2026-11-20 09:14:03.120 UTC": milliseconds kept, as two items a second apart are often in order only by them. */
export function formatTime(iso: string | Date): string {
  return new Date(iso).toISOString().replace('T', ' ').replace(/Z$/, ' UTC');
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
