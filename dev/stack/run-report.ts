/**
 * The report of a local run (.local/last-run.json): per connector what was fetched, converted,
 * imported and left unmapped or failed, summed over the runs that started during the session.
 */
import { emptyRunCounts, type ConnectorRunCounts, type ConnectorRunSummary, type RunStatusStore } from '../../shared/runs/run-status';
import type { PoisonEvent } from './host/dev-host';
import type { UnmappedStore } from '../../shared/importing/unmapped';

/** `reconciled`: stranded items the reconciliation sweep queued again (their outcomes are counted in the other columns). */
export interface ConnectorReport extends ConnectorRunCounts {
  state: string;
  windowFrom?: string;
  windowTo?: string;
  message?: string;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  runIds: string[];
  connectors: Record<string, ConnectorReport>;
  invocations: Record<string, { succeeded: number; failed: number }>;
  poisoned: PoisonEvent[];
  /** Items that map to no mailbox, per connector, with why each participant did not map. */
  unmapped: Record<string, { itemId: string; numbers: string[]; reasons: string[] }[]>;
  ok: boolean;
}

export async function buildRunReport(
  runStatus: RunStatusStore,
  session: { startedAt: Date; invocations: RunReport['invocations']; poisoned: PoisonEvent[] },
  unmappedStore?: UnmappedStore,
): Promise<RunReport> {
  const runIds = await runStatus.runsActiveSince(session.startedAt);
  const connectors: Record<string, ConnectorReport> = {};
  for (const runId of runIds) {
    const summary = await runStatus.summarize(runId);
    for (const c of summary?.connectors ?? []) merge(connectors, c);
  }
  const failedConnector = Object.values(connectors).some((c) => c.failed > 0 || c.state === 'failed');
  const unmapped: RunReport['unmapped'] = {};
  if (unmappedStore) {
    for (const id of Object.keys(connectors)) {
      const items = await unmappedStore.list(id);
      if (items.length > 0) unmapped[id] = items.map((u) => ({ itemId: u.job.itemId, numbers: u.numbers, reasons: u.reasons }));
    }
  }
  return {
    startedAt: session.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    runIds,
    connectors,
    invocations: session.invocations,
    poisoned: session.poisoned,
    unmapped,
    ok: !failedConnector && session.poisoned.length === 0,
  };
}

function merge(into: Record<string, ConnectorReport>, c: ConnectorRunSummary): void {
  const r = (into[c.connectorId] ??= { state: c.state, ...emptyRunCounts() });
  // Later runs come later and describe the connector now, unless they only found the connector
  // busy or up to date: then the run that did the work says more.
  const skipped = c.state === 'in-flight-elsewhere' || c.state === 'nothing-new';
  if (!skipped || r.state === 'in-flight-elsewhere' || r.state === 'nothing-new') {
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
