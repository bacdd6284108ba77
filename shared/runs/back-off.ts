/**
 * The growing delays between retries of a job that fails for a reason that may pass. The host
 * retries a failed message MAX_DEQUEUE times at its visibility timeout (30 s); on the last of those
 * deliveries the job puts itself back with a delay instead of going to the poison queue: 30 s, then
 * doubling, at most an hour apart, until the horizon (RETRY_HORIZON_MINUTES) after the first failure.
 * The queue does the waiting (a visibility delay, at most 7 days:
 * https://learn.microsoft.com/en-us/rest/api/storageservices/put-message#uri-parameters), so no
 * invocation sleeps, and a Graph or archiver outage of hours leaves no gap.
 */
import { backoffMs } from '../http/retry-decision';

/** host.json extensions.queues.maxDequeueCount (a test keeps them equal): the host's own quick retries come first. */
export const MAX_DEQUEUE = 5;
export const FIRST_RETRY_SECONDS = 30;
export const MAX_RETRY_SECONDS = 3600;

/** Seconds until the next retry, or undefined when the horizon has passed (dead-letter now). */
export function retryDelaySeconds(retries: number, failingSince: string, now: Date, horizonSeconds: number): number | undefined {
  // A clock behind the first failure's counts as no time passed.
  const elapsed = Math.max(0, (now.getTime() - Date.parse(failingSince)) / 1000 || 0);
  if (elapsed >= horizonSeconds) return undefined;
  // The same doubling as the in-invocation retries, without jitter: the queue spreads deliveries anyway.
  const delay = backoffMs(Math.min(retries, 20), { baseDelayMs: FIRST_RETRY_SECONDS * 1000, maxDelayMs: MAX_RETRY_SECONDS * 1000, random: () => 1 }) / 1000;
  // The last wait ends at the horizon, so a failure is dead-lettered on time.
  return Math.max(1, Math.min(delay, Math.ceil(horizonSeconds - elapsed)));
}

/** Where a job that failed again stands: its next retry (retries, first failure, delay), or `delay` undefined to dead-letter it. */
export function nextRetry(job: { retries?: number; failingSince?: string }, now: Date, horizonSeconds: number) {
  const failingSince = job.failingSince ?? now.toISOString();
  const retries = job.retries ?? 0;
  return { retries: retries + 1, failingSince, delay: retryDelaySeconds(retries, failingSince, now, horizonSeconds) };
}
