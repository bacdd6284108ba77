/**
 * The import job: one converted item to import into its participants' mailboxes. The .eml is the
 * whole contract between converter and importer (items/message-contract.ts); the job only says
 * where it is. Jobs queued by older versions carry a rawPath too, which parsing drops.
 */
import { z } from 'zod';
import { parseMessage } from './parse-message';

/** A blob path we wrote: relative, segments without "." or "..", no backslash or control characters. */
const blobPath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => !p.startsWith('/') && p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'),
    'must be a relative path without empty, "." or ".." segments',
  )
  .refine((p) => !/[\\\u0000-\u001f\u007f]/.test(p), 'must not contain a backslash or control characters')
  .refine((p) => p.endsWith('.eml'), 'must name a .eml');

export const importJobSchema = z
  .object({
    version: z.literal(1),
    runId: z.string().min(1).max(80),
    connectorId: z.string().regex(/^[a-z][a-z0-9]{0,31}$/),
    itemId: z.string().min(1).max(256),
    /** Path in the mime-messages container: under the connector's folder, a .eml, nothing that climbs out. */
    emlPath: blobPath,
    /** Set when a job re-queues itself with a delay (throttling, retries of single mailboxes). */
    attempt: z.number().int().min(0).default(0),
    /** Back-off after failures that may pass (runs/back-off.ts): how many so far, and since when. */
    retries: z.number().int().min(0).optional(),
    failingSince: z.iso.datetime().optional(),
  })
  .refine((job) => job.emlPath.startsWith(`${job.connectorId}/`), { path: ['emlPath'], message: "must be under the connector's own folder" });

export type ImportJob = z.infer<typeof importJobSchema>;

export function parseImportJob(message: unknown): ImportJob {
  return parseMessage(importJobSchema, 'import job', message);
}
