/**
 * The import job: one converted item to import into its participants' mailboxes. The .eml is the
 * whole contract between converter and importer (items/message-contract.ts); the job only says
 * where it is. Jobs queued by older versions carry a rawPath too, which parsing drops.
 */
import { z } from 'zod';
import { parseMessage } from './parse-message';

/**
 * Largest .eml carried in its import job. A queue message holds 64 KiB; the job is JSON, then
 * base64 (host.json messageEncoding), so 24 KiB of .eml (32 KiB as base64) leaves room for both.
 * https://learn.microsoft.com/en-us/azure/storage/queues/scalability-targets
 */
export const INLINE_EML_MAX_BYTES = 24 * 1024;

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
    /** Queued again from the unmapped list: a successful import takes it off the list. */
    fromUnmapped: z.boolean().optional(),
    /**
     * The .eml itself (base64) when it is small, exactly the bytes the converter wrote to emlPath: the
     * importer need not read it back (one storage request per item fewer). Never kept with a job
     * outside the queue (unmapped list, dead letters): withoutInlineEml.
     */
    eml: z
      .base64()
      .max(Math.ceil(INLINE_EML_MAX_BYTES / 3) * 4)
      .optional(),
  })
  .refine((job) => job.emlPath.startsWith(`${job.connectorId}/`), { path: ['emlPath'], message: "must be under the connector's own folder" });

export type ImportJob = z.infer<typeof importJobSchema>;

/** The job as it is kept outside the queue (a table row holds 64 KB at most): the .eml stays in Blob only. */
export function withoutInlineEml(job: ImportJob): ImportJob {
  const { eml: _eml, ...rest } = job;
  return rest;
}

export function parseImportJob(message: unknown): ImportJob {
  return parseMessage(importJobSchema, 'import job', message);
}
