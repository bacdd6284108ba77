/**
 * Whether to send a request again, and after how long: a pure function of the attempt and its
 * outcome, in the manner of @azure/core-rest-pipeline's retry strategies, so every case is tested
 * without a server or a clock.
 * - 429 and 503 are throttling: wait the Retry-After (or back off) and go again, unless the wait is
 *   longer than an invocation should sleep or the retries are spent: then the answer goes back to
 *   the caller, who hands the wait to the queue (throttleDelaySeconds).
 * - A 429 was not processed, so any request may go again. A 503 may come after the write was
 *   committed, so it is repeated only for idempotent requests, like 500, 502, 504 and no answer at
 *   all: a POST whose outcome is unknown is looked up by the caller before it is repeated.
 * https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling
 */
import { failureOf, type HttpFailure } from './http-error';

export interface RetryOptions {
  maxRetries: number;
  /** Longer Retry-After values are not waited out inside the invocation. */
  maxRetryAfterSeconds: number;
  baseDelayMs: number;
  /** Longest back-off between attempts. */
  maxDelayMs?: number;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
}

export interface AttemptOutcome {
  /** 0 for the first attempt. */
  attempt: number;
  idempotent: boolean;
  /** The answer's status; undefined when none came. */
  status?: number;
  retryAfterSeconds?: number;
}

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

export const THROTTLED_STATUSES: ReadonlySet<number> = new Set([429, 503]);
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

export function decideRetry(outcome: AttemptOutcome, options: RetryOptions): RetryDecision {
  const { attempt, idempotent, status, retryAfterSeconds } = outcome;
  const spent = attempt >= options.maxRetries;
  if (status !== undefined && THROTTLED_STATUSES.has(status) && (idempotent || status === 429)) {
    if (spent || (retryAfterSeconds !== undefined && retryAfterSeconds > options.maxRetryAfterSeconds)) return { retry: false };
    return { retry: true, delayMs: retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : backoffMs(attempt, options) };
  }
  const transient = status === undefined || TRANSIENT_STATUSES.has(status);
  if (!transient || !idempotent || spent) return { retry: false };
  return { retry: true, delayMs: backoffMs(attempt, options) };
}

/** Exponential back-off with jitter: half to all of base * 2^attempt, at most maxDelayMs. */
export function backoffMs(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const random = options.random ?? Math.random;
  return Math.min(options.maxDelayMs ?? 30_000, options.baseDelayMs * 2 ** attempt) * (0.5 + random() / 2);
}

/**
 * A throttled failure the caller should hand to the queue: the delay to re-queue with (the
 * service's Retry-After, or `fallbackSeconds` when it gave none); undefined for any other failure.
 */
export function throttleDelaySeconds(err: unknown, fallbackSeconds: number): number | undefined {
  const failure: HttpFailure = failureOf(err);
  if (failure.status === undefined || !THROTTLED_STATUSES.has(failure.status)) return undefined;
  return failure.retryAfterSeconds ?? fallbackSeconds;
}

/**
 * A client error the server will answer again whatever we do: a 4xx that is not a timeout (408),
 * throttling (429) or an expired token (401, which the sign-in and auth policies renew).
 */
export function permanentClientError(err: unknown): boolean {
  const { status } = failureOf(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
}
