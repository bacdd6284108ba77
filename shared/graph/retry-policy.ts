/**
 * Graph client middleware: retries what is safe to retry and hands long waits back to the queue.
 * The SDK's own RetryHandler retries only 429/503/504 and always sleeps; we also need to retry
 * 5xx and dropped connections for idempotent calls, never to repeat a POST whose outcome is
 * unknown (the importer looks it up first), and to turn a long Retry-After into a re-queued job.
 * https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling
 */
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { GraphThrottledError } from './errors';
import { countThrottled } from '../telemetry/metrics';

export interface RetryPolicyOptions {
  maxRetries: number;
  /** Longer Retry-After values are not waited out inside the invocation. */
  maxRetryAfterSeconds: number;
  baseDelayMs: number;
}

const THROTTLED = new Set([429, 503]);
const TRANSIENT = new Set([500, 502, 504]);

export class RetryPolicy implements Middleware {
  private next?: Middleware;

  constructor(private readonly options: RetryPolicyOptions) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const idempotent = method === 'GET' || method === 'PUT' || method === 'DELETE';
    for (let attempt = 0; ; attempt++) {
      try {
        await this.next!.execute(context);
      } catch (err) {
        // No answer (connection reset, timeout): only an idempotent request may simply go again.
        if (!idempotent || attempt >= this.options.maxRetries) throw err;
        await sleep(this.backoff(attempt));
        continue;
      }
      const status = context.response?.status ?? 0;
      const throttled = THROTTLED.has(status);
      if (throttled) countThrottled();
      if (!throttled && !(idempotent && TRANSIENT.has(status))) return;
      const retryAfter = retryAfterSeconds(context.response?.headers.get('Retry-After'));
      if (throttled && retryAfter !== undefined && retryAfter > this.options.maxRetryAfterSeconds) throw new GraphThrottledError(retryAfter);
      if (attempt >= this.options.maxRetries) {
        if (throttled) throw new GraphThrottledError(retryAfter ?? this.options.maxRetryAfterSeconds);
        return;
      }
      await sleep(retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt));
    }
  }

  private backoff(attempt: number): number {
    return Math.min(30_000, this.options.baseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
  }
}

function retryAfterSeconds(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
