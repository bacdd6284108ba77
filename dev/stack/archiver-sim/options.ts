/**
 * Simulator settings. Locally they are read from the environment (`ARCHIVER_SIM_*`, which may be
 * set in local.settings.json); tests pass them directly. Faults can also be changed at run time.
 */
import { z } from 'zod';

const rate = z.coerce.number().min(0).max(1);
/** A switch from code (boolean) or from ARCHIVER_SIM_FAULTS ("true"/"false"). */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const faultsSchema = z.object({
  /** Share of item and attachment requests answered 429 / 500 / 503 (429 and 503 with Retry-After). */
  rate429: rate.default(0),
  rate500: rate.default(0),
  rate503: rate.default(0),
  retryAfterSeconds: z.coerce.number().int().min(0).max(3600).default(1),
  /** Share of requests delayed by slowMs before they are answered. */
  slowRate: rate.default(0),
  slowMs: z.coerce.number().int().min(0).max(600_000).default(0),
  /** The first N downloads of every attachment are cut off half-way (connection reset). */
  resetDownloads: z.coerce.number().int().min(0).max(100).default(0),
  /** Every page after the first starts with the previous page's last item again. */
  duplicatesAcrossPages: flag.default(false),
  /** Tokens expire after this many seconds (a request with an expired token gets 401). */
  tokenTtlSeconds: z.coerce.number().int().min(1).default(3600),
  /** Share of authenticated requests answered 401 as if the token had just expired. */
  tokenExpiryRate: rate.default(0),
  /** Share of attachments (chosen by id, the same every time) answering 404: purged at the source. */
  goneAttachmentRate: rate.default(0),
  /** Share of attachments (by id) whose every download ends early, shorter than its Content-Length. */
  shortAttachmentRate: rate.default(0),
  /** Share of attachments (by id) whose downloads send their headers and then nothing. */
  stalledAttachmentRate: rate.default(0),
  /** Share of pages (by offset) whose body is always cut off half-way (shorter than its Content-Length). */
  cutPageRate: rate.default(0),
  /** Every page answers the first page's cursor again: a cursor that never advances. */
  endlessCursor: flag.default(false),
  /** When above 0, item pages trickle: one byte every this many milliseconds. */
  trickleMs: z.coerce.number().int().min(0).max(60_000).default(0),
  /** The sign-in answers 200 with an HTML page instead of JSON. */
  signInNotJson: flag.default(false),
  /** When above 0, the first item with an attachment announces it as this many bytes (the download is the real size). */
  announceAttachmentBytes: z.coerce.number().int().min(0).default(0),
  /** When above 0, the first item of each page is padded to a line of this many bytes. */
  hugeLineBytes: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(0),
});

export type Faults = z.infer<typeof faultsSchema>;

export const simulatorOptionsSchema = z.object({
  seed: z.coerce.number().int().default(20261121),
  itemsPerDay: z.coerce.number().int().min(0).max(1_000_000).default(40),
  /** When above 0, the first item of each product and day carries an attachment of this many MB (at most 150). */
  largeAttachmentMb: z.coerce.number().min(0).max(150).default(0),
  /** The password every simulated account accepts. */
  password: z.string().min(1).default('local-simulator-only'),
  faults: faultsSchema.default(faultsSchema.parse({})),
});

export type SimulatorOptions = z.infer<typeof simulatorOptionsSchema>;
export type SimulatorOptionsInput = z.input<typeof simulatorOptionsSchema>;

/** Environment variables the simulator reads, and the option each sets. */
export const simulatorEnv = {
  ARCHIVER_SIM_SEED: 'seed',
  ARCHIVER_SIM_ITEMS_PER_DAY: 'itemsPerDay',
  ARCHIVER_SIM_LARGE_ATTACHMENT_MB: 'largeAttachmentMb',
  ARCHIVER_SIM_PASSWORD: 'password',
  ARCHIVER_SIM_FAULTS: 'faults',
} as const;

/** Reads the simulator options from the environment; ARCHIVER_SIM_FAULTS is "rate429=0.1,resetDownloads=1". */
export function simulatorOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): SimulatorOptions {
  const input: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(simulatorEnv)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    input[key] = key === 'faults' ? Object.fromEntries(value.split(',').map((kv) => kv.split('=').map((s) => s.trim()))) : value;
  }
  const parsed = simulatorOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = Object.entries(simulatorEnv).find(([, k]) => k === issue.path[0])?.[0] ?? 'ARCHIVER_SIM_*';
    throw new Error(`${setting}: ${issue.path.slice(1).join('.') || ''} ${issue.message}`.replace(/:\s+/, ': '));
  }
  return parsed.data;
}
