/**
 * The convert job: one raw item to convert that no blob event brought to the converter (found by
 * the reconciliation sweep). The work is the blob-triggered converter's, on the same path.
 */
import { z } from 'zod';
import { parseMessage } from './parse-message';

export const convertJobSchema = z.object({
  version: z.literal(1),
  connectorId: z.string().regex(/^[a-z][a-z0-9]{0,31}$/),
  /** Path in the raw-items container, beginning with the connector id. */
  rawPath: z.string().min(1).max(1024),
});

export type ConvertJob = z.infer<typeof convertJobSchema>;

export function parseConvertJob(message: unknown): ConvertJob {
  const job = parseMessage(convertJobSchema, 'convert job', message);
  if (!job.rawPath.startsWith(`${job.connectorId}/`)) throw new Error(`malformed convert job: rawPath does not belong to connector ${job.connectorId}`);
  return job;
}
