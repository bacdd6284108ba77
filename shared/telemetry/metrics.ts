/**
 * The pipeline's custom metrics, per connector and stage, through OpenTelemetry (Application
 * Insights in Azure, see setup.ts). Counts are of events: a retried message counts again, which is
 * what an operator watching load wants; the run report's counts (run status) are the de-duplicated
 * ones. No personal data in any dimension: connector ids, stages and outcomes only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { metrics, type Attributes } from '@opentelemetry/api';

export const METRIC_NAMES = {
  fetched: 'mac.items.fetched',
  converted: 'mac.items.converted',
  imported: 'mac.items.imported',
  unmapped: 'mac.items.unmapped',
  failed: 'mac.items.failed',
  duplicates: 'mac.items.duplicates',
  throttled: 'mac.graph.throttled',
  bytesImported: 'mac.bytes.imported',
  /** A connector window fetched completely (the "no complete window in 26 h" alert reads it). */
  windowsCompleted: 'mac.windows.completed',
  /** A connector skipped by the scheduler because a setting it needs is missing or unreadable. */
  connectorsUnavailable: 'mac.connectors.unavailable',
  /** Stranded items the reconciliation sweep queued again, by the stage they were stranded before. */
  reconciled: 'mac.items.reconciled',
  /** Messages in a poison queue, measured by each reconciliation sweep (a gauge). */
  poisonMessages: 'mac.queue.poison.messages',
} as const;

const UNITS: Record<keyof typeof METRIC_NAMES, string> = {
  fetched: '{item}',
  converted: '{item}',
  imported: '{copy}',
  unmapped: '{item}',
  failed: '{item}',
  duplicates: '{item}',
  throttled: '{response}',
  bytesImported: 'By',
  windowsCompleted: '{window}',
  connectorsUnavailable: '{connector}',
  reconciled: '{item}',
  poisonMessages: '{message}',
};

function add(metric: keyof typeof METRIC_NAMES, value: number, attributes: Attributes): void {
  // Instruments are looked up per use: the meter provider is registered at start-up, after imports.
  metrics.getMeter('mobile-archive-connector').createCounter(METRIC_NAMES[metric], { unit: UNITS[metric] }).add(value, attributes);
}

/** The metric each item outcome of run status (runs/run-status.ts) counts towards; other outcomes count towards none. */
const ITEM_OUTCOME_METRICS: Readonly<Partial<Record<string, keyof typeof METRIC_NAMES>>> = {
  failed: 'failed',
  present: 'duplicates',
  duplicate: 'duplicates',
  written: 'fetched',
  converted: 'converted',
  imported: 'imported',
  unmapped: 'unmapped',
};

/** One item outcome of a stage, as run status records it (its listener, wired in app/services.ts). */
export function countItem(connector: string, stage: string, outcome: string): void {
  const metric = ITEM_OUTCOME_METRICS[outcome];
  if (metric) add(metric, 1, { connector, stage });
}

export function countWindowCompleted(connector: string): void {
  add('windowsCompleted', 1, { connector, stage: 'fetch' });
}

export function countConnectorUnavailable(connector: string): void {
  add('connectorsUnavailable', 1, { connector, stage: 'schedule' });
}

/** `stage` is the stage the item is queued again for: convert or import. */
export function countReconciled(connector: string, stage: 'convert' | 'import', items: number): void {
  if (items > 0) add('reconciled', items, { connector, stage });
}

export function recordPoisonMessages(queue: string, messages: number): void {
  metrics.getMeter('mobile-archive-connector').createGauge(METRIC_NAMES.poisonMessages, { unit: UNITS.poisonMessages }).record(messages, { queue });
}

export function countBytesImported(connector: string, bytes: number): void {
  add('bytesImported', bytes, { connector, stage: 'import' });
}

const current = new AsyncLocalStorage<{ connector: string }>();

/** Runs work on behalf of a connector, so code deep in the Graph client can attribute what it counts. */
export function forConnector<T>(connector: string, work: () => Promise<T>): Promise<T> {
  return current.run({ connector }, work);
}

/** A 429/503 from Graph, attributed to the connector whose work it was. */
export function countThrottled(): void {
  add('throttled', 1, { connector: current.getStore()?.connector ?? 'unknown', stage: 'import' });
}
