/**
 * Graph's error answer: {"error": {"code", "message", "innerError": {"date", "request-id",
 * "client-request-id"}}}. https://learn.microsoft.com/en-us/graph/errors
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function graphError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': String(req.headers['client-request-id'] ?? requestId),
      },
    },
  });
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'request-id': requestId, ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new GraphHttpError(404, 'ErrorItemNotFound', `The specified ${what} could not be found in the store.`);
export const badRequest = (message: string, code = 'ErrorInvalidRequest') => new GraphHttpError(400, code, message);
