/** Graph simulator settings: limits as Exchange Online has them, and faults to inject. */
import { z } from 'zod';

const rate = z.coerce.number().min(0).max(1);

export const graphSimOptionsSchema = z.object({
  /** Per mailbox and app: concurrent requests, requests per 10 minutes, upload bytes per 5 minutes. */
  concurrentPerMailbox: z.coerce.number().int().min(1).default(4),
  requestsPer10Minutes: z.coerce.number().int().min(1).default(10_000),
  uploadBytesPer5Minutes: z.coerce
    .number()
    .int()
    .min(1)
    .default(150 * 1024 * 1024),
  retryAfterSeconds: z.coerce.number().int().min(0).default(1),
  /** Share of API requests answered 429 / 500 / 503 / 504, and cut off with no answer (timeout). */
  rate429: rate.default(0),
  rate500: rate.default(0),
  rate503: rate.default(0),
  rate504: rate.default(0),
  rateTimeout: rate.default(0),
  /** Share of message creates (POST messages, importMime) answered 503 after the message was stored. */
  rate503AfterCommit: rate.default(0),
  /** Milliseconds every request waits before it is handled (makes concurrency visible). */
  latencyMs: z.coerce.number().int().min(0).default(0),
  uploadSessionMinutes: z.coerce.number().min(0.01).default(15),
  seed: z.coerce.number().int().default(1),
  /** Mailboxes (UPN or id) whose every request fails with 500: a mailbox in trouble while the others are fine. */
  failUsers: z.array(z.string()).default([]),
  /** Where the mailboxes are dumped as JSON after changes (none: no dump). */
  dumpDir: z.string().optional(),
});

export type GraphSimOptions = z.infer<typeof graphSimOptionsSchema>;
export type GraphSimOptionsInput = z.input<typeof graphSimOptionsSchema>;

/** GRAPH_SIM_FAULTS="rate429=0.1,rate503=0.05,latencyMs=20" and the like. */
export function graphSimOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): GraphSimOptionsInput {
  const raw = env.GRAPH_SIM_FAULTS ?? '';
  const input: Record<string, string> = {};
  for (const kv of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = kv.split('=').map((s) => s.trim());
    if (!(k in graphSimOptionsSchema.shape)) throw new Error(`GRAPH_SIM_FAULTS: unknown option "${k}"`);
    input[k] = v;
  }
  return input;
}
