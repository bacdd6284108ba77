/**
 * The Graph client's share of http/io-timeouts.ts: per attempt (after the retry middleware, so a
 * timed-out attempt is retried), the answer's headers must come within the first-byte time and its
 * body must keep arriving (the idle rule). The connection itself is bounded by Node's fetch, whose
 * connect timeout is 10 s: https://undici.nodejs.org/#/docs/api/Client?id=parameter-clientoptions
 */
import { Readable } from 'node:stream';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { watchIdle, withFirstByteTimeout, type IoTimeouts } from '../http/io-timeouts';

export class IoTimeoutMiddleware implements Middleware {
  private next?: Middleware;

  constructor(private readonly timeouts: Pick<IoTimeouts, 'firstByteMs' | 'idleMs'>) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const method = context.options?.method ?? 'GET';
    const what = `Graph ${method} ${typeof context.request === 'string' ? new URL(context.request).pathname : 'request'}`;
    const outer = context.options?.signal ?? undefined;
    await withFirstByteTimeout(this.timeouts.firstByteMs, what, outer, async (signal) => {
      context.options = { ...context.options, signal };
      await this.next!.execute(context);
    });
    const response = context.response;
    if (!response?.body) return;
    const watched = watchIdle(Readable.fromWeb(response.body), this.timeouts.idleMs, what);
    context.response = new Response(Readable.toWeb(watched) as ReadableStream, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
