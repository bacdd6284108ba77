import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { backoffMs, decideRetry, throttleDelaySeconds, type RetryOptions } from '../../../shared/http/retry-decision';
import { describeFailure, failureOf, HttpError, outcomeUnknown, parseRetryAfter } from '../../../shared/http/http-error';
import { RetryPolicy } from '../../../shared/graph/retry-policy';

const options: RetryOptions = { maxRetries: 3, maxRetryAfterSeconds: 30, baseDelayMs: 500, random: () => 1 };

describe('retry decisions', () => {
  it('waits out a throttling Retry-After it can afford; a 429 (never processed) for any method', () => {
    assert.deepEqual(decideRetry({ attempt: 0, idempotent: false, status: 429, retryAfterSeconds: 7 }, options), { retry: true, delayMs: 7000 });
    assert.deepEqual(
      decideRetry({ attempt: 0, idempotent: false, status: 503, retryAfterSeconds: 7 }, options),
      { retry: false },
      'a 503 may follow the commit',
    );
    assert.deepEqual(decideRetry({ attempt: 2, idempotent: true, status: 503 }, options), { retry: true, delayMs: 2000 });
  });

  it('hands a long Retry-After, or spent retries, back to the caller (the queue waits instead)', () => {
    assert.deepEqual(decideRetry({ attempt: 0, idempotent: true, status: 429, retryAfterSeconds: 31 }, options), { retry: false });
    assert.deepEqual(decideRetry({ attempt: 3, idempotent: true, status: 429, retryAfterSeconds: 1 }, options), { retry: false });
  });

  it('repeats 5xx and lost answers only when repeating cannot create a second copy', () => {
    for (const status of [500, 502, 503, 504, undefined]) {
      assert.deepEqual(decideRetry({ attempt: 1, idempotent: true, status }, options), { retry: true, delayMs: 1000 }, String(status));
      assert.deepEqual(decideRetry({ attempt: 1, idempotent: false, status }, options), { retry: false }, `POST ${status}`);
    }
    assert.deepEqual(decideRetry({ attempt: 3, idempotent: true, status: 500 }, options), { retry: false });
  });

  it('never repeats an answer that will not change (4xx other than 429, 501)', () => {
    for (const status of [200, 201, 400, 401, 403, 404, 409, 413, 501])
      assert.deepEqual(decideRetry({ attempt: 0, idempotent: true, status }, options), { retry: false }, String(status));
  });

  it('backs off exponentially with jitter, within bounds', () => {
    assert.equal(backoffMs(0, { baseDelayMs: 500, random: () => 0 }), 250);
    assert.equal(backoffMs(3, { baseDelayMs: 500, random: () => 1 }), 4000);
    assert.equal(backoffMs(20, { baseDelayMs: 500, maxDelayMs: 10_000, random: () => 1 }), 10_000);
  });

  it('a throttled failure is re-queued with its Retry-After, or the fallback; any other failure is not', () => {
    const graph429 = Object.assign(new Error('TooManyRequests'), { statusCode: 429, code: 'TooManyRequests', headers: new Headers({ 'Retry-After': '120' }) });
    assert.equal(throttleDelaySeconds(graph429, 30), 120);
    assert.equal(throttleDelaySeconds(new HttpError('busy', 503), 30), 30);
    assert.equal(throttleDelaySeconds(new HttpError('denied', 403, 'ErrorAccessDenied'), 30), undefined);
    assert.equal(throttleDelaySeconds(new Error('socket hang up'), 30), undefined);
  });
});

describe('one failure shape for every client', () => {
  it('reads Azure SDK, Graph SDK and our own errors alike', () => {
    const restError = Object.assign(new Error('The specified blob already exists.'), {
      statusCode: 409,
      code: 'BlobAlreadyExists',
      response: { headers: new Headers() },
    });
    const graphError = Object.assign(new Error('Mailbox not enabled'), { statusCode: 404, code: 'MailboxNotEnabledForRESTAPI', headers: new Headers() });
    const rewrapped = Object.assign(new Error('socket hang up'), { statusCode: -1, code: 'ECONNRESET' });
    assert.deepEqual(failureOf(restError), { status: 409, code: 'BlobAlreadyExists', retryAfterSeconds: undefined });
    assert.deepEqual(failureOf(graphError), { status: 404, code: 'MailboxNotEnabledForRESTAPI', retryAfterSeconds: undefined });
    assert.deepEqual(failureOf(rewrapped), { status: undefined, code: 'ECONNRESET', retryAfterSeconds: undefined });
    assert.deepEqual(failureOf(new HttpError('slow down', 429, 'Throttled', 9)), { status: 429, code: 'Throttled', retryAfterSeconds: 9 });
    assert.equal(describeFailure(graphError), 'HTTP 404 MailboxNotEnabledForRESTAPI Mailbox not enabled');
  });

  it('a create without an answer, or with a gateway error, may have happened; a refusal did not', () => {
    assert.equal(outcomeUnknown(new Error('socket hang up')), true);
    assert.equal(outcomeUnknown(new HttpError('bad gateway', 502)), true);
    assert.equal(outcomeUnknown(new HttpError('unavailable after the commit', 503)), true);
    assert.equal(outcomeUnknown(new HttpError('throttled', 429)), false);
    assert.equal(outcomeUnknown(new HttpError('bad request', 400)), false);
  });

  it('Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    assert.equal(parseRetryAfter('12', now), 12);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 10:01:00 GMT', now), 60);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});

/** A next middleware that answers with the given statuses in turn (a thrown error for `undefined`). */
function fakeNext(answers: (number | undefined)[], headers: Record<string, string> = {}): Middleware & { calls: number } {
  const next = {
    calls: 0,
    async execute(context: Context): Promise<void> {
      const status = answers[Math.min(next.calls++, answers.length - 1)];
      if (status === undefined) throw new Error('socket hang up');
      context.response = new Response(null, { status, headers });
    },
  };
  return next;
}

describe('Graph retry middleware (fake timers, fake next)', () => {
  const run = async (t: TestContext, method: string, next: Middleware, advanceMs: number) => {
    const policy = new RetryPolicy(options);
    policy.setNext(next);
    const context = { request: '/me', options: { method } } as Context;
    const done = policy.execute(context).then(
      () => context.response?.status,
      (err: Error) => err,
    );
    // Let each sleep start, then move the clock past it.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      t.mock.timers.tick(advanceMs);
    }
    return done;
  };

  it('retries a GET through 503 and 500 and returns the answer that finally came', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const next = fakeNext([503, 500, 200]);
    assert.equal(await run(t, 'GET', next, 5000), 200);
    assert.equal(next.calls, 3);
  });

  it('does not repeat a POST that got no answer (the importer looks it up first)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const next = fakeNext([undefined, 201]);
    const result = await run(t, 'POST', next, 5000);
    assert.ok(result instanceof Error);
    assert.equal(next.calls, 1);
  });

  it('passes a long Retry-After through at once, for the importer to re-queue', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const next = fakeNext([429], { 'Retry-After': '300' });
    assert.equal(await run(t, 'POST', next, 0), 429);
    assert.equal(next.calls, 1);
  });
});
