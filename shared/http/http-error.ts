/**
 * One shape for every HTTP failure the app meets: the Azure SDKs' RestError (storage), the Graph
 * SDK's GraphError and our own HttpError all carry `statusCode` and `code`, and the Retry-After of
 * a throttled answer is read from the error's own field or its response headers. Callers ask
 * failureOf() and never look into one client's error type.
 */

export interface HttpFailure {
  /** Absent when no answer came (connection reset, timeout). */
  status?: number;
  /** The service's error code, e.g. ErrorItemNotFound, BlobAlreadyExists. */
  code?: string;
  /** How long the service asked us to wait, in seconds. */
  retryAfterSeconds?: number;
}

/** An HTTP failure raised by our own clients (archiver, Graph upload sessions). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

interface HeaderSource {
  get(name: string): string | null | undefined;
}

const hasGet = (h: unknown): h is HeaderSource => typeof h === 'object' && h !== null && typeof (h as HeaderSource).get === 'function';

export function failureOf(err: unknown): HttpFailure {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { statusCode?: unknown; code?: unknown; retryAfterSeconds?: unknown; headers?: unknown; response?: { headers?: unknown } };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : undefined;
  const headers = hasGet(e.headers) ? e.headers : hasGet(e.response?.headers) ? e.response.headers : undefined;
  const retryAfterSeconds = typeof e.retryAfterSeconds === 'number' ? e.retryAfterSeconds : parseRetryAfter(headers?.get('retry-after'));
  return { status, code, retryAfterSeconds };
}

export function hasStatus(err: unknown, ...statuses: number[]): boolean {
  const { status } = failureOf(err);
  return status !== undefined && statuses.includes(status);
}

/** Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** A failure after which the request may or may not have been carried out: no answer, or a 5xx (a 503 may follow the commit). */
export function outcomeUnknown(err: unknown): boolean {
  const { status } = failureOf(err);
  return status === undefined || status === 500 || status === 502 || status === 503 || status === 504;
}

/** "HTTP 403 ErrorAccessDenied <message>", for reports and dead letters. */
export function describeFailure(err: unknown): string {
  const { status, code } = failureOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return [status ? `HTTP ${status}` : undefined, code, message].filter(Boolean).join(' ');
}
