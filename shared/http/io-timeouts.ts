/**
 * Time bounds on every read from a party we do not control (the archiver, Graph): a connection must
 * be made within `connectMs`, the answer's headers must start within `firstByteMs`, and a body must
 * keep arriving: less than MIN_PROGRESS_BYTES in `idleMs` while we wait for it ends the read. The
 * last rule catches a trickle (one byte every few seconds) as well as a stall (headers, then
 * nothing). Every expiry is an IoTimeoutError with code ETIMEDOUT, so the retry policies take it for
 * the transient network failure it is, and its message names which bound ran out.
 */
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { RestError, type PipelinePolicy, type PipelineResponse } from '@azure/core-rest-pipeline';

export interface IoTimeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

/** The settings' defaults (HTTP_*_TIMEOUT_SECONDS), for clients made without settings (tests, tools). */
export const DEFAULT_IO_TIMEOUTS: IoTimeouts = { connectMs: 10_000, firstByteMs: 60_000, idleMs: 60_000 };

/** A body that delivers less than this within the idle time counts as stalled. */
export const MIN_PROGRESS_BYTES = 1024;

export type TimeoutKind = 'connect' | 'first-byte' | 'idle';

export class IoTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly kind: TimeoutKind,
    ms: number,
    what: string,
  ) {
    super(
      kind === 'idle'
        ? `${what}: less than ${MIN_PROGRESS_BYTES} bytes arrived in ${ms / 1000} s (idle timeout)`
        : `${what}: no ${kind === 'connect' ? 'connection' : 'answer'} within ${ms / 1000} s (${kind} timeout)`,
    );
    this.name = 'IoTimeoutError';
  }
}

/**
 * HTTP(S) agents whose sockets fail when the connection is not made in time. Node has no connect
 * timeout of its own (socket.setTimeout is an idle timer): https://nodejs.org/api/net.html#socketsettimeouttimeout-callback
 */
export function connectTimeoutAgent(secure: boolean, connectMs: number, options: AgentOptions = { keepAlive: true }): HttpAgent {
  const agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
  type Create = (options: unknown, callback?: unknown) => Socket;
  const holder = agent as unknown as { createConnection: Create };
  const create = holder.createConnection.bind(agent);
  holder.createConnection = (opts, callback) => {
    const socket = create(opts, callback);
    const host = (opts as { host?: string }).host ?? 'the server';
    const timer = setTimeout(() => socket.destroy(new IoTimeoutError('connect', connectMs, `connection to ${host}`)), connectMs);
    const clear = () => clearTimeout(timer);
    socket.once(secure ? 'secureConnect' : 'connect', clear);
    socket.once('close', clear);
    return socket;
  };
  return agent;
}

/**
 * Passes a body through, failing it with an idle IoTimeoutError when it stops arriving while its
 * reader waits. Time the reader spends elsewhere (the body piles up unread) does not count.
 */
export function watchIdle(source: Readable, idleMs: number, what: string): Readable {
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const mark = received;
    timer = setTimeout(() => {
      const waiting = out.readableLength === 0 && !out.writableNeedDrain;
      if (received - mark >= MIN_PROGRESS_BYTES || !waiting) return arm();
      const err = new IoTimeoutError('idle', idleMs, what);
      source.destroy(err);
      out.destroy(err);
    }, idleMs);
  };
  const stop = () => clearTimeout(timer);
  source.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });
  source.once('end', () => (stop(), out.end()));
  source.once('error', (err) => (stop(), out.destroy(err)));
  source.once('close', () => {
    stop();
    // A body that closes without an end was cut off.
    if (!source.readableEnded && !out.destroyed) out.destroy(Object.assign(new Error(`${what}: the connection closed before the end`), { code: 'ECONNRESET' }));
  });
  out.once('close', () => {
    stop();
    if (!source.destroyed) source.destroy();
  });
  arm();
  return out;
}

/** Runs `start` with an abort signal that fires when it has not resolved within `ms`; the expiry is an IoTimeoutError. */
export async function withFirstByteTimeout<T>(
  ms: number,
  what: string,
  outer: AbortSignal | undefined,
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, ms);
  try {
    return await start(outer ? AbortSignal.any([outer, controller.signal]) : controller.signal);
  } catch (err) {
    if (expired) throw new IoTimeoutError('first-byte', ms, what);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A body larger than the caller will hold. */
export class BodyTooLargeError extends Error {
  constructor(what: string, maxBytes: number) {
    super(`${what}: the answer is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a body whole, failing once it passes maxBytes (nothing past that is held). */
export async function readAtMost(stream: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      stream.destroy();
      throw new BodyTooLargeError(what, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}

/**
 * The bounds as an Azure SDK pipeline policy, run once per attempt (add it after the Retry phase):
 * a connect-timeout agent, the first-byte timer (an expiry is a RestError ETIMEDOUT, which the retry
 * policy retries), and the idle watch on every body. A body the caller reads as text is read here,
 * at most `maxTextBytes` of it.
 */
export function ioTimeoutPolicy(timeouts: IoTimeouts, what: string, maxTextBytes = 1024 * 1024): PipelinePolicy {
  const agents = { http: connectTimeoutAgent(false, timeouts.connectMs), https: connectTimeoutAgent(true, timeouts.connectMs) };
  return {
    name: 'ioTimeoutPolicy',
    async sendRequest(request, next) {
      request.agent ??= request.url.startsWith('https:') ? agents.https : agents.http;
      const streamed = request.streamResponseStatusCodes;
      const outer = request.abortSignal;
      request.streamResponseStatusCodes = new Set([Number.POSITIVE_INFINITY]);
      let response: PipelineResponse;
      try {
        response = await withFirstByteTimeout(timeouts.firstByteMs, what, outer as AbortSignal | undefined, (signal) => {
          request.abortSignal = signal;
          return next(request);
        });
      } catch (err) {
        if (err instanceof IoTimeoutError) throw new RestError(err.message, { code: err.code, request });
        throw err;
      } finally {
        request.abortSignal = outer;
        request.streamResponseStatusCodes = streamed;
      }
      const body = response.readableStreamBody && watchIdle(response.readableStreamBody as Readable, timeouts.idleMs, what);
      if (!body) return response;
      if (streamed?.has(response.status) || streamed?.has(Number.POSITIVE_INFINITY)) return { ...response, readableStreamBody: body };
      try {
        const text = (await readAtMost(body, maxTextBytes, what)).toString('utf8');
        return { ...response, readableStreamBody: undefined, bodyAsText: text };
      } catch (err) {
        throw new RestError((err as Error).message, { code: (err as { code?: string }).code ?? 'ERR_BODY', request, statusCode: response.status });
      }
    },
  };
}
