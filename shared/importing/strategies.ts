/**
 * Which ways of writing a mailbox copy work in this tenant, as the self-test (or a refused import)
 * found. Graph documents attachments and upload sessions only for drafts, and Exchange's enforcement
 * from 2026-12-31 restricts changes to non-draft messages, so the importer does not assume: it reads
 * what was recorded here, refuses a strategy recorded as broken, and falls back where it can.
 * PK "strategy", RK the strategy name.
 */
import type { TableClient } from '@azure/data-tables';

export const STRATEGIES = {
  /** JSON create of a non-draft message with its small attachments inline (GRAPH_IMPORT_MODE=json). */
  jsonCreate: 'json-create',
  /** POST of an attachment (< 3 MB) to a message that is not a draft. */
  attachmentPost: 'attachment-post',
  /** Upload session of an attachment (3 MB to 150 MB) on a message that is not a draft. */
  uploadSession: 'upload-session',
  /** beta importMime into a folder (GRAPH_IMPORT_MODE=importMime). */
  importMime: 'import-mime',
} as const;

export type Strategy = (typeof STRATEGIES)[keyof typeof STRATEGIES];
export const ALL_STRATEGIES = Object.values(STRATEGIES);

export interface StrategyResult {
  strategy: Strategy;
  works: boolean;
  detail: string;
  /** The mailbox it was tried on (a test mailbox), or the mailbox whose import found it broken. */
  mailbox: string;
  testedAt: string;
  source: 'self-test' | 'import';
}

const PK = 'strategy';
/** How long an instance reuses what it read (a new self-test result reaches every instance within this). */
const CACHE_MS = 60_000;

export class StrategyStore {
  private cached?: { at: number; results: Map<Strategy, StrategyResult> };

  constructor(private readonly table: TableClient) {}

  async all(): Promise<Map<Strategy, StrategyResult>> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.results;
    const results = new Map<Strategy, StrategyResult>();
    for await (const e of this.table.listEntities<StrategyResult>({ queryOptions: { filter: `PartitionKey eq '${PK}'` } })) {
      results.set(e.strategy, { strategy: e.strategy, works: e.works, detail: e.detail, mailbox: e.mailbox, testedAt: e.testedAt, source: e.source });
    }
    this.cached = { at: Date.now(), results };
    return results;
  }

  /** False only when recorded as broken: with no record the importer tries (the self-test is advised, not required). */
  async usable(strategy: Strategy): Promise<boolean> {
    return (await this.all()).get(strategy)?.works !== false;
  }

  async record(results: readonly StrategyResult[]): Promise<void> {
    for (const r of results) await this.table.upsertEntity({ partitionKey: PK, rowKey: r.strategy, ...r }, 'Replace');
    this.cached = undefined;
  }
}
