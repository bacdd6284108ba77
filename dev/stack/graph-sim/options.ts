/** Graph simulator settings: limits as Exchange Online has them, and faults to inject. */
import { z } from 'zod';

const rate = z.coerce.number().min(0).max(1);
/** A switch from code (boolean) or from GRAPH_SIM_FAULTS ("true"/"false"). */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A list from code (array) or from GRAPH_SIM_FAULTS ("a@x|b@y"). */
const list = z.union([
  z.array(z.string()),
  z.string().transform((v) =>
    v
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
]);

export const graphSimOptionsSchema = z.object({
  /** Per mailbox and app: concurrent requests, requests per 10 minutes, upload bytes per 5 minutes. */
  concurrentPerMailbox: z.coerce.number().int().min(1).default(4),
  requestsPer10Minutes: z.coerce.number().int().min(1).default(10_000),
  uploadBytesPer5Minutes: z.coerce
    .number()
    .int()
    .min(1)
    .default(150 * 1024 * 1024),
  /** The windows of the two rate limits (Exchange: 600 s and 300 s); shorter ones let a bench reach the ceiling in minutes. */
  requestWindowSeconds: z.coerce.number().min(1).default(600),
  uploadWindowSeconds: z.coerce.number().min(1).default(300),
  retryAfterSeconds: z.coerce.number().int().min(0).default(1),
  /** Share of API requests answered 429 / 500 / 503 / 504, and cut off with no answer (timeout). */
  rate429: rate.default(0),
  rate500: rate.default(0),
  rate503: rate.default(0),
  rate504: rate.default(0),
  rateTimeout: rate.default(0),
  /** Share of message creates (POST messages, importMime) answered 503 after the message was stored. */
  rate503AfterCommit: rate.default(0),
  /** Share of writes (message creates, attachment adds) whose connection drops after the write was stored. */
  rateTimeoutAfterCommit: rate.default(0),
  /** Exchange's per-mailbox message size limit (MaxReceiveSize/MaxSendSize), 35 MB unless an admin raises it (to 150 MB at most). */
  maxMessageMb: z.coerce.number().min(1).max(150).default(35),
  /** Mailboxes (UPN) that have a raised limit of 150 MB. */
  largeMailboxes: list.default([]),
  /**
   * RBAC for Applications: the UPNs inside the app's management scope. Empty: every mailbox (a
   * tenant-wide grant). Any other mailbox answers 403 ErrorAccessDenied.
   */
  mailboxScope: list.default([]),
  /** Attachments can be added only to drafts (all Graph documents); a non-draft answers 400. */
  strictNonDraftAttachments: flag.default(false),
  /**
   * Exchange's enforcement from 2026-12-31: sensitive properties of non-draft messages (subject, body,
   * recipients, attachments) cannot be changed unless the app holds Mail-Advanced.ReadWrite(.All).
   */
  enforceSensitiveProperties: flag.default(false),
  /** The app holds Mail-Advanced.ReadWrite.All (matters only with enforceSensitiveProperties). */
  mailAdvanced: flag.default(false),
  /** Milliseconds every request waits before it is handled (makes concurrency visible). */
  latencyMs: z.coerce.number().int().min(0).default(0),
  uploadSessionMinutes: z.coerce.number().min(0.01).default(15),
  seed: z.coerce.number().int().default(1),
  /** Mailboxes (UPN or id) whose every request fails with 500: a mailbox in trouble while the others are fine. */
  failUsers: list.default([]),
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
