/**
 * The import job: one converted item to import into its participants' mailboxes. The .eml is the
 * whole contract between converter and importer (items/message-contract.ts); the job only says
 * where it is. Jobs queued by older versions carry a rawPath too, which parsing drops.
 */
import { z } from 'zod';
import { parseMessage } from './parse-message';

export const importJobSchema = z.object({
  version: z.literal(1),
  runId: z.string().min(1).max(80),
  connectorId: z.string().regex(/^[a-z][a-z0-9]{0,31}$/),
  itemId: z.string().min(1).max(256),
  /** Path in the mime-messages container. */
  emlPath: z.string().min(1).max(1024),
  /** Set when a job re-queues itself with a delay (throttling, retries of single mailboxes). */
  attempt: z.number().int().min(0).default(0),
});

export type ImportJob = z.infer<typeof importJobSchema>;

export function parseImportJob(message: unknown): ImportJob {
  return parseMessage(importJobSchema, 'import job', message);
}
