/**
 * The report of a local run (.local/last-run.json): per connector what was fetched, converted,
 * imported and left unmapped or failed, summed over the runs that started during the session; every
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

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  runIds: string[];
  connectors: Record<string, ConnectorReport>;
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
  const failures: FailureReport[] = [];
  for (const runId of runIds) {
    const summary = await runStatus.summarize(runId);
    for (const c of summary?.connectors ?? []) {
      merge(connectors, c);
      if (c.state === 'failed')
        failures.push({ connectorId: c.connectorId, stage: 'connector', key: c.windowFrom ?? runId, reason: c.message ?? 'failed', runId });
    }
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
  const failedConnector = Object.values(connectors).some((c) => c.failed > 0 || c.state === 'failed');
  return {
    startedAt: session.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    runIds,
    connectors,
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

/** The connector and "connector X, item Y" of a poisoned message (the app's jobs and the blob trigger's), or the start of its text. */
function describePoison(text: string): { connectorId?: string; text: string } {
  let decoded = text;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    const m = JSON.parse(decoded) as { connectorId?: unknown; itemId?: unknown; runId?: unknown; blobName?: unknown; BlobName?: unknown; part?: unknown };
    const blob = typeof m.blobName === 'string' ? m.blobName : typeof m.BlobName === 'string' ? m.BlobName : undefined;
    if (typeof m.connectorId === 'string') {
      const what = typeof m.itemId === 'string' ? `item ${m.itemId}` : `run ${String(m.runId)} part ${typeof m.part === 'number' ? m.part : 0}`;
      return { connectorId: m.connectorId, text: `connector ${m.connectorId}, ${what}` };
    }
    if (blob) return { connectorId: blob.split('/')[0], text: `connector ${blob.split('/')[0]}, blob ${blob}` };
  } catch {
    // not JSON: shown as text
  }
  return { text: `unreadable message: ${JSON.stringify(decoded.slice(0, 80))}` };
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

const COLUMNS = ['fetched', 'converted', 'imported', 'partiallyImported', 'unmapped', 'failed', 'reconciled'] as const;

/** A fixed-width table of the connectors, for the terminal. */
export function formatConnectorTable(connectors: Record<string, ConnectorReport>): string[] {
  const rows = Object.entries(connectors).sort(([a], [b]) => a.localeCompare(b));
  const header = ['connector'.padEnd(12), 'state'.padEnd(20), ...COLUMNS.map((c) => (c === 'partiallyImported' ? 'partial' : c).padStart(10))].join(' ');
  return [header, ...rows.map(([id, r]) => [id.padEnd(12), r.state.padEnd(20), ...COLUMNS.map((c) => String(r[c]).padStart(10))].join(' '))];
}
