/**
 * The fetch job: one connector window of one run. The scheduler sends the first part; the
 * fetcher sends continuation parts carrying the archiver's cursor, so a long window is split
 * across invocations. Validated on receipt: a malformed message fails with a clear reason and
 * goes to the poison queue intact.
 */
import { z } from 'zod';
import { parseMessage } from './parse-message';

export const fetchJobSchema = z.object({
  version: z.literal(1),
  runId: z.string().min(1).max(80),
  connectorId: z.string().regex(/^[a-z][a-z0-9]{0,31}$/),
  window: z.object({ from: z.iso.datetime(), to: z.iso.datetime() }),
  /** Opaque paging cursor of the archiver (a Graph nextLink for a journal mailbox); absent on the first part. */
  cursor: z.string().max(16384).optional(),
  /** 0 for the scheduler's job, then 1, 2, ... for continuations. */
  part: z.number().int().min(0).default(0),
  /** Pages read in the earlier parts of the window (FETCH_MAX_PAGES_PER_WINDOW counts them all). */
  pages: z.number().int().min(0).optional(),
  /** How often this part was put back after a failure that may pass (the retry back-off grows with it). */
  retries: z.number().int().min(0).optional(),
  /** When the first of those failures happened: retrying stops RETRY_HORIZON_MINUTES after it. */
  failingSince: z.iso.datetime().optional(),
});

export type FetchJob = z.infer<typeof fetchJobSchema>;

export function parseFetchJob(message: unknown): FetchJob {
  return parseMessage(fetchJobSchema, 'fetch job', message);
}
