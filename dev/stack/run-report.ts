/**
 * The report of a local run (.local/last-run.json): per run and connector what was fetched,
 * converted, imported (items, and mailbox copies) and left unmapped or failed; per connector the
 * totals of the runs that started during the session (a run started earlier whose items were
 * re-driven now is listed in `runs` with its own counts, never added to the new window's); every
 * failure with its connector, stage, item (and mailbox) and reason; the named outcomes counted
 * (`attachment-gone`, `page-cap`, ...: the reason's first word); what sits in the poison queues
 * (not only what this process saw poisoned); and, where the caller can read the mailboxes (the
 * Graph simulator), an audit of duplicates and gaps. `ok` is true only when all of that is clean.
 */
import type { QueueClient } from '@azure/storage-queue';
import { emptyRunCounts, type ConnectorRunCounts, type ConnectorRunSummary, type RunStatusStore, type Stage } from '../../shared/runs/run-status';
import type { PoisonEvent } from './host/dev-host';
import type { UnmappedStore } from '../../shared/importing/unmapped';
import type { DeadLetterStore } from '../../shared/runs/dead-letters';
import { POISON_QUEUES } from '../../shared/reconciling/reconcile';
import { queues } from '../../shared/storage/names';
import type { MailboxAudit } from './mailbox-audit';
import { outcomeOf } from '../../shared/text/named-outcome';
import { describePoison } from './poison-subject';

/** `reconciled`: stranded items the reconciliation sweep queued again (their outcomes are counted in the other columns). */
export interface ConnectorReport extends ConnectorRunCounts {
  state: string;
  windowFrom?: string;
  windowTo?: string;
  message?: string;
}

export interface FailureReport {
  connectorId: string;
  stage: Stage | 'connector';
  /** The item (or `item@mailbox`, a page, a window). */
  key: string;
  reason: string;
  runId?: string;
}

export interface PoisonQueueReport {
  queue: string;
  messages: number;
  /** What the first messages are about (connector, item, or the start of the text). */
  examples: string[];
  /** The connectors those messages name. */
  connectors: string[];
}

export interface RunCountsReport {
  runId: string;
  startedAt?: string;
  /** Started before this session: here because items of it were recorded now (a re-drive). */
  earlier: boolean;
  connectors: Record<string, ConnectorReport>;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  runIds: string[];
  /** Per connector: the runs started during the session (state from the newest that did work). */
  connectors: Record<string, ConnectorReport>;
  /** Every run with anything recorded during the session, each with its own counts. */
  runs: RunCountsReport[];
  invocations: Record<string, { succeeded: number; failed: number }>;
  poisoned: PoisonEvent[];
  poisonQueues: PoisonQueueReport[];
  failures: FailureReport[];
  /** Named outcomes among the failures: `attachment-gone`, `line-too-long`, `cursor-not-advancing`, ... */
  outcomes: Record<string, number>;
  /** Items that map to no mailbox, per connector, with why each participant did not map. */
  unmapped: Record<string, { itemId: string; numbers: string[]; reasons: string[] }[]>;
  audit?: { copies: number; duplicates: MailboxAudit['duplicates']; gaps: MailboxAudit['gaps'] };
  ok: boolean;
}

export interface ReportSources {
  unmapped?: UnmappedStore;
  deadLetters?: DeadLetterStore;
  /** The queue client of a queue name, to read the poison queues. */
  queue?: (name: string) => QueueClient;
  audit?: () => Promise<MailboxAudit>;
}

export async function buildRunReport(
  runStatus: RunStatusStore,
  session: { startedAt: Date; invocations: RunReport['invocations']; poisoned: PoisonEvent[] },
  sources: ReportSources = {},
): Promise<RunReport> {
  const runIds = await runStatus.runsActiveSince(session.startedAt);
  const connectors: Record<string, ConnectorReport> = {};
  const runs: RunCountsReport[] = [];
  const failures: FailureReport[] = [];
  for (const runId of runIds) {
    const summary = await runStatus.summarize(runId);
    // A run without an index row (items recorded outside a scheduled run) belongs to the session.
    const earlier = summary?.startedAt !== undefined && Date.parse(summary.startedAt) < session.startedAt.getTime();
    const perRun: Record<string, ConnectorReport> = {};
    for (const c of summary?.connectors ?? []) {
      merge(perRun, c);
      if (!earlier) merge(connectors, c);
      if (c.state === 'failed')
        failures.push({ connectorId: c.connectorId, stage: 'connector', key: c.windowFrom ?? runId, reason: c.message ?? 'failed', runId });
    }
    runs.push({ runId, startedAt: summary?.startedAt, earlier, connectors: perRun });
    if (summary?.connectors.some((c) => c.failed > 0)) {
      for await (const row of runStatus.itemRows(runId)) {
        if (row.outcome === 'failed')
          failures.push({ connectorId: row.connectorId, stage: row.stage, key: row.key, reason: row.reason || 'failed (no reason recorded)', runId });
      }
    }
  }
  const known = new Set(failures.map((f) => `${f.connectorId}|${f.stage}|${f.key}`));
  if (sources.deadLetters) {
    for (const id of Object.keys(connectors)) {
      for (const d of await sources.deadLetters.list(id)) {
        if (Date.parse(d.at) < session.startedAt.getTime() || known.has(`${d.connectorId}|${d.stage}|${d.key}`)) continue;
        failures.push({ connectorId: d.connectorId, stage: d.stage, key: d.key, reason: d.reason, runId: d.runId });
      }
    }
  }
  const poisonQueues = sources.queue ? await readPoisonQueues(sources.queue) : [];
  // A connector whose fetch job sits in the poison queue is not "fetching", whatever its last row says.
  for (const c of poisonQueues.filter((q) => q.queue === queues.fetchJobsPoison).flatMap((q) => q.connectors)) {
    if (connectors[c]) connectors[c].state = 'failed';
  }
  // A failure of an earlier run's item (a re-drive that failed again) fails the session too.
  const failedConnector = [connectors, ...runs.map((r) => r.connectors)].some((group) =>
    Object.values(group).some((c) => c.failed > 0 || c.state === 'failed'),
  );
  const unmapped: RunReport['unmapped'] = {};
  if (sources.unmapped) {
    for (const id of Object.keys(connectors)) {
      const items = await sources.unmapped.list(id);
      if (items.length > 0) unmapped[id] = items.map((u) => ({ itemId: u.job.itemId, numbers: u.numbers, reasons: u.reasons }));
    }
  }
  const outcomes: Record<string, number> = {};
  for (const f of failures) {
    const name = outcomeOf(f.reason) ?? 'other';
    outcomes[name] = (outcomes[name] ?? 0) + 1;
  }
  const audited = sources.audit ? await sources.audit() : undefined;
  const audit = audited && { copies: audited.copies.length, duplicates: audited.duplicates, gaps: audited.gaps };
  return {
    startedAt: session.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    runIds,
    connectors,
    runs,
    invocations: session.invocations,
    poisoned: session.poisoned,
    poisonQueues,
    failures,
    outcomes,
    unmapped,
    audit,
    ok:
      !failedConnector &&
      failures.length === 0 &&
      session.poisoned.length === 0 &&
      poisonQueues.every((q) => q.messages === 0) &&
      (audit === undefined || (audit.duplicates.length === 0 && audit.gaps.length === 0)),
  };
}

async function readPoisonQueues(queue: (name: string) => QueueClient): Promise<PoisonQueueReport[]> {
  const out: PoisonQueueReport[] = [];
  for (const name of POISON_QUEUES) {
    const client = queue(name);
    if (!(await client.exists())) continue;
    const peeked = (await client.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => describePoison(m.messageText));
    const messages = (await client.getProperties()).approximateMessagesCount ?? peeked.length;
    const named = peeked.flatMap((p) => (p.connectorId ? [p.connectorId] : []));
    out.push({ queue: name, messages, examples: peeked.map((p) => p.text), connectors: [...new Set(named)] });
  }
  return out;
}

function merge(into: Record<string, ConnectorReport>, c: ConnectorRunSummary): void {
  const r = (into[c.connectorId] ??= { state: c.state, ...emptyRunCounts() });
  // Later runs come later and describe the connector now, unless they only found the connector
  // busy or up to date, or never got further than being dispatched (a stray run id): then the run
  // that did the work says more.
  const idle = (state: string) => state === 'in-flight-elsewhere' || state === 'nothing-new' || state === 'dispatched';
  if (!idle(c.state) || idle(r.state)) {
    r.state = c.state;
    r.windowFrom = c.windowFrom ?? r.windowFrom;
    r.windowTo = c.windowTo ?? r.windowTo;
    r.message = c.message ?? r.message;
  }
  for (const k of Object.keys(emptyRunCounts()) as (keyof ConnectorRunCounts)[]) r[k] += c[k];
}

const COLUMNS = ['fetched', 'converted', 'itemsImported', 'copies', 'unmapped', 'failed'] as const;
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  fetched: 'fetched',
  converted: 'converted',
  itemsImported: 'items',
  copies: 'copies',
  unmapped: 'unmapped',
  failed: 'failed',
};
/** States as the table shows them: at most 11 characters, so a row fits 80 columns. */
const shortState = (state: string) => (state === 'in-flight-elsewhere' ? 'in-flight' : state.slice(0, 11));

/**
 * A fixed-width table of the connectors for the terminal: 79 characters wide, so it fits an
 * 80-column terminal without wrapping. `items` counts items with a copy in at least one mailbox,
 * `copies` the mailbox copies (an item goes to every mapped participant).
 */
export function formatConnectorTable(connectors: Record<string, ConnectorReport>): string[] {
  const rows = Object.entries(connectors).sort(([a], [b]) => a.localeCompare(b));
  const header = ['connector'.padEnd(12), 'state'.padEnd(11), ...COLUMNS.map((c) => HEADINGS[c].padStart(8))].join(' ');
  return [
    header,
    ...rows.map(([id, r]) => [id.slice(0, 12).padEnd(12), shortState(r.state).padEnd(11), ...COLUMNS.map((c) => String(r[c]).padStart(8))].join(' ')),
  ];
}

/** One short line per connector, for output that is not a terminal (a log, CI). */
export function formatConnectorLines(connectors: Record<string, ConnectorReport>): string[] {
  return Object.entries(connectors)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, r]) => `${id} ${r.state}: ${COLUMNS.map((c) => `${r[c]} ${HEADINGS[c]}`).join(', ')}`);
}
