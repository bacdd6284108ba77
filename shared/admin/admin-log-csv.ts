/**
 * The admin log of a run as CSV: one row per item and stage, and per mailbox copy, with its outcome,
 * reason and time; what Microsoft's connectors offer as a log kept 7 days, kept here for
 * ADMIN_LOG_RETENTION_DAYS (90 by default). Cells that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR at the start: a phone number in a reason is one) are prefixed with a quote
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */
import { stringify } from 'csv-stringify/sync';
import type { ItemRecord } from './operator-view';

const COLUMNS = ['run', 'connector', 'stage', 'item', 'mailbox', 'outcome', 'reason', 'recorded_at'] as const;

export function adminLogCsv(rows: readonly ItemRecord[]): string {
  const safe = (v: string | undefined) => (v === undefined ? '' : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  return stringify(
    rows.map((r) => [r.runId, r.connectorId, r.stage, r.itemId, r.mailbox, r.outcome, r.reason, r.recordedAt].map(safe)),
    { header: true, columns: [...COLUMNS], record_delimiter: 'windows' },
  );
}

/** The mapping in force as a CSV the mapping import accepts again (header number,mailbox,validFrom,validTo). */
export function mappingCsv(rows: readonly { number: string; mailbox: string; validFrom?: string; validTo?: string }[]): string {
  return stringify(
    rows.map((r) => [r.number, r.mailbox, r.validFrom ?? '', r.validTo ?? '']),
    { header: true, columns: ['number', 'mailbox', 'validFrom', 'validTo'] },
  );
}
