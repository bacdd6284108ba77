/**
 * Reads a custom mapping CSV (mobile number to mailbox) and validates all of it before anything is
 * stored. Accepted: the vendor's two columns without a header (`445204334324, susan@company.com`),
 * or a header row naming the columns (number / mailbox, optional validFrom / validTo); a UTF-8 BOM;
 * "," or ";" separators; quoted fields. Every problem is reported with its line number. Numbers must
 * be valid, not only possible (phone.ts); a date-only validTo includes that day.
 */
import { parse } from 'csv-parse/sync';
import type { CountryCode } from 'libphonenumber-js';
import { toE164 } from './phone';
import { isAddressable } from '../text/email';

export interface MappingRow {
  number: string;
  mailbox: string;
  validFrom?: string;
  validTo?: string;
  line: number;
}

export interface MappingProblem {
  line: number;
  problem: string;
}

export type MappingParseResult = { ok: true; rows: MappingRow[] } | { ok: false; problems: MappingProblem[] };

const HEADERS: Record<'number' | 'mailbox' | 'validFrom' | 'validTo', RegExp> = {
  number: /^(mobile|phone|number|msisdn|mobile ?number|phone ?number|user'?s mobile ?number|e\.?164)$/i,
  mailbox: /^(mailbox|email|e-?mail|mail|upn|smtp|email ?address|mailbox ?address|user'?s email ?address|microsoft 365 mailbox)$/i,
  validFrom: /^(valid ?from|from|start|valid_from)$/i,
  validTo: /^(valid ?to|to|until|end|valid_to)$/i,
};
const MAX_ROWS = 200_000;

export function parseMappingCsv(text: string | Buffer, defaultRegion: CountryCode): MappingParseResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      delimiter: [',', ';'],
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { lines?: number; message: string };
    return { ok: false, problems: [{ line: e.lines ?? 0, problem: `not readable as CSV: ${e.message}` }] };
  }
  if (records.length === 0) return { ok: false, problems: [{ line: 0, problem: 'the file has no rows' }] };
  if (records.length > MAX_ROWS) return { ok: false, problems: [{ line: 0, problem: `more than ${MAX_ROWS} rows` }] };

  // A header row is one with a cell naming a column; anything else is data, checked like any row.
  const first = records[0].record;
  let columns = { number: 0, mailbox: 1, validFrom: -1, validTo: -1 };
  let body = records;
  const namesAColumn = first.some((c) => Object.values(HEADERS).some((h) => h.test(c.trim())));
  if (namesAColumn) {
    const find = (key: keyof typeof HEADERS) => first.findIndex((c) => HEADERS[key].test(c.trim()));
    columns = { number: find('number'), mailbox: find('mailbox'), validFrom: find('validFrom'), validTo: find('validTo') };
    if (columns.number < 0 || columns.mailbox < 0) {
      return {
        ok: false,
        problems: [{ line: records[0].info.lines, problem: `the header "${first.join(', ')}" names no number and mailbox columns (e.g. "number,mailbox")` }],
      };
    }
    body = records.slice(1);
  }

  const problems: MappingProblem[] = [];
  const rows: MappingRow[] = [];
  for (const { record, info } of body) {
    const line = info.lines;
    const cell = (i: number) => (i >= 0 ? (record[i] ?? '').trim() : '');
    if (record.every((c) => c.trim() === '')) continue;
    const rawNumber = cell(columns.number);
    const mailbox = cell(columns.mailbox).toLowerCase();
    const number = toE164(rawNumber, defaultRegion, 'valid');
    if (!number) problems.push({ line, problem: notANumber(rawNumber, defaultRegion) });
    if (!isAddressable(mailbox)) problems.push({ line, problem: `"${cell(columns.mailbox)}" is not a mailbox address` });
    const from = cell(columns.validFrom);
    const to = cell(columns.validTo);
    const validFrom = from ? toInstant(from, 'start') : undefined;
    const validTo = to ? toInstant(to, 'end') : undefined;
    if (from && !validFrom) problems.push({ line, problem: `validFrom "${from}" is not a date (YYYY-MM-DD or ISO 8601)` });
    if (to && !validTo) problems.push({ line, problem: `validTo "${to}" is not a date (YYYY-MM-DD or ISO 8601)` });
    if (validFrom && validTo && validFrom >= validTo) problems.push({ line, problem: 'validFrom is not before validTo' });
    if (number && isAddressable(mailbox)) rows.push({ number, mailbox, validFrom, validTo, line });
  }

  // One number, at one time, maps to one mailbox.
  const byNumber = new Map<string, MappingRow[]>();
  for (const r of rows) byNumber.set(r.number, [...(byNumber.get(r.number) ?? []), r]);
  for (const [number, list] of byNumber) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        const overlap = (a.validFrom ?? '') < (b.validTo ?? '\uffff') && (b.validFrom ?? '') < (a.validTo ?? '\uffff');
        if (overlap && a.mailbox !== b.mailbox)
          problems.push({ line: b.line, problem: `${number} is mapped to ${a.mailbox} on line ${a.line} and to ${b.mailbox} here for the same time` });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems: problems.sort((x, y) => x.line - y.line) };
  return { ok: true, rows };
}

/**
 * A date-only value covers that whole UTC day: validFrom starts at its 00:00, validTo ends at the
 * next day's 00:00 (bounds are [from, to), so 23:59:59.999 on the validTo day still maps). A value
 * with a time is taken as the exact instant.
 */
function toInstant(value: string, bound: 'start' | 'end'): string | undefined {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const v = dateOnly ? `${value}T00:00:00Z` : value;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t) || (dateOnly && new Date(t).toISOString().slice(0, 10) !== value)) return undefined;
  return new Date(dateOnly && bound === 'end' ? t + 86_400_000 : t).toISOString();
}

/** Why a cell is refused as a number: not a number at all, or a number no carrier can assign. */
function notANumber(raw: string, defaultRegion: CountryCode): string {
  if (toE164(raw, defaultRegion, 'possible'))
    return `"${raw}" is not a valid phone number (no carrier assigns it: a typo, or a range reserved for fiction or tests)`;
  return `"${raw}" is not a phone number`;
}
