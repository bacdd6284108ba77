/** POST /api/v1/auth/token: username/password to a bearer token with an expiry. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import type { SimulatorState } from '../state';

export async function handleSignIn(req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  let body: { username?: unknown; password?: unknown };
  try {
    body = JSON.parse(await readBody(req)) as typeof body;
  } catch {
    return errors.badRequest(res, 'body must be JSON {"username","password"}');
  }
  state.stats.signIns++;
  if (typeof body.username !== 'string' || body.username === '' || body.password !== state.options.password) {
    state.stats.signInsRefused++;
    return errors.invalidCredentials(res);
  }
  if (state.options.faults.signInNotJson) {
    // What a captive portal or a wrong URL answers.
    const html = '<html><body>Please sign in</body></html>';
    res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(html) });
    return void res.end(html);
  }
  const token = randomBytes(24).toString('base64url');
  const ttl = state.options.faults.tokenTtlSeconds;
  state.tokens.set(token, Date.now() + ttl * 1000);
  const json = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: ttl });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** True when the request carries a live token; answers 401 itself otherwise. */
export function authorize(req: IncomingMessage, res: ServerResponse, state: SimulatorState): boolean {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const expires = token ? state.tokens.get(token) : undefined;
  if (!token || expires === undefined || expires < Date.now()) {
    errors.tokenExpired(res);
    return false;
  }
  if (state.random.chance(state.options.faults.tokenExpiryRate)) {
    state.tokens.delete(token);
    state.stats.faults.tokenExpired++;
    errors.tokenExpired(res);
    return false;
  }
  return true;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      data += c;
      if (data.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
