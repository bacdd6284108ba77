/**
 * The little the fetcher must know of a raw item to store it: its id and time (for the path) and
 * its attachments (to download them). Everything else is the converter's to read; the fetcher
 * keeps the line as it came.
 */
import { z } from 'zod';
import { jsonErrorReason } from '../text/json-error';

const attachmentRef = z.object({
  id: z.string().min(1).max(256),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits'),
  contentType: z.string().max(255).nullish(),
  name: z.string().max(1024).nullish(),
});

const header = z.object({
  id: z.string().min(1).max(256),
  timestamp: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 timestamp'),
  attachments: z.array(attachmentRef).max(1000).nullish(),
});

export type AttachmentRef = z.infer<typeof attachmentRef>;

export interface RawItemHeader {
  id: string;
  timestamp: Date;
  attachments: AttachmentRef[];
}

export type HeaderResult = { ok: true; header: RawItemHeader } | { ok: false; reason: string };

export function readRawItemHeader(line: Buffer): HeaderResult {
  let json: unknown;
  try {
    json = JSON.parse(line.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: jsonErrorReason(err) };
  }
  const parsed = header.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'} ${i.message}`).join('; ') };
  }
  const ids = new Set<string>();
  for (const a of parsed.data.attachments ?? []) {
    if (ids.has(a.id)) return { ok: false, reason: `attachment id ${a.id} appears twice` };
    ids.add(a.id);
  }
  return { ok: true, header: { id: parsed.data.id, timestamp: new Date(parsed.data.timestamp), attachments: parsed.data.attachments ?? [] } };
}
