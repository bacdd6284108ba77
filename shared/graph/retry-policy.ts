/**
 * Graph client middleware: retries what is safe to retry (http/retry-decision.ts decides) and hands
 * long waits back to the queue. The SDK's own RetryHandler retries only 429/503/504 and always
 * sleeps; we also retry 5xx and dropped connections for idempotent calls, never repeat a POST whose
 * outcome is unknown (the importer looks it up first), and let a throttled answer we will not wait
 * for through: the SDK raises it as a GraphError with its status and Retry-After header, which the
 * importer turns into a delayed re-queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { parseRetryAfter } from '../http/http-error';
import { decideRetry, THROTTLED_STATUSES, type RetryOptions } from '../http/retry-decision';
import { countThrottled } from '../telemetry/metrics';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

export class RetryPolicy implements Middleware {
  private next?: Middleware;

  constructor(private readonly options: RetryOptions) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('RetryPolicy has no next middleware');
    const idempotent = IDEMPOTENT.has((context.options?.method ?? 'GET').toUpperCase());
    for (let attempt = 0; ; attempt++) {
      try {
        await this.next.execute(context);
      } catch (err) {
        // No answer (connection reset, timeout).
        const decision = decideRetry({ attempt, idempotent }, this.options);
        if (!decision.retry) throw err;
        await sleep(decision.delayMs);
        continue;
      }
      const status = context.response?.status ?? 0;
      if (THROTTLED_STATUSES.has(status)) countThrottled();
      const retryAfterSeconds = parseRetryAfter(context.response?.headers.get('Retry-After'));
      const decision = decideRetry({ attempt, idempotent, status, retryAfterSeconds }, this.options);
      if (!decision.retry) return;
      await sleep(decision.delayMs);
    }
  }
}
