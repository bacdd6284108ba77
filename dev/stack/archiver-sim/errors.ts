/** Error answers of the simulated archiver: a status code and a JSON body with a stable code. */
import type { ServerResponse } from 'node:http';

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: code, message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export const errors = {
  invalidCredentials: (res: ServerResponse) => sendError(res, 401, 'invalid_credentials', 'username or password is wrong'),
  tokenExpired: (res: ServerResponse) => sendError(res, 401, 'token_expired', 'the access token is missing, unknown or expired'),
  badRequest: (res: ServerResponse, message: string) => sendError(res, 400, 'bad_request', message),
  notFound: (res: ServerResponse, message: string) => sendError(res, 404, 'not_found', message),
  throttled: (res: ServerResponse, retryAfter: number) => sendError(res, 429, 'too_many_requests', 'slow down', { 'Retry-After': String(retryAfter) }),
  internal: (res: ServerResponse) => sendError(res, 500, 'internal_error', 'simulated server error'),
  unavailable: (res: ServerResponse, retryAfter: number) =>
    sendError(res, 503, 'service_unavailable', 'simulated outage', { 'Retry-After': String(retryAfter) }),
};
