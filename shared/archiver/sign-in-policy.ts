/**
 * Pipeline policy: signs in with the account's username and password, sends the bearer token,
 * and on a 401 (expired token) signs in again and repeats the request once. Concurrent requests
 * share one sign-in. The token is never logged.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import { ArchiverProtocolError, ArchiverSignInError } from './errors';

export const signInPolicyName = 'archiverSignInPolicy';

export interface SignInOptions {
  tokenUrl: string;
  allowInsecureConnection: boolean;
  username: string;
  password: string;
  /** Sends the sign-in request (the pipeline's own client, with retries for 5xx and throttling). */
  send: HttpClient['sendRequest'];
}

export function signInPolicy(options: SignInOptions): PipelinePolicy {
  let token: Promise<string> | undefined;
  const signIn = (): Promise<string> => {
    token ??= requestToken(options).catch((err) => {
      token = undefined;
      throw err;
    });
    return token;
  };
  return {
    name: signInPolicyName,
    async sendRequest(request: PipelineRequest, next) {
      const used = signIn();
      request.headers.set('Authorization', `Bearer ${await used}`);
      const response = await next(request);
      if (response.status !== 401) return response;
      // Only the first request to see the expiry drops the token; the others reuse the new one.
      if (token === used) token = undefined;
      response.readableStreamBody?.resume();
      request.headers.set('Authorization', `Bearer ${await signIn()}`);
      return next(request);
    },
  };
}

async function requestToken(options: SignInOptions): Promise<string> {
  const request = createPipelineRequest({
    url: options.tokenUrl,
    method: 'POST',
    headers: createHttpHeaders({ 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify({ username: options.username, password: options.password }),
    timeout: 60_000,
    allowInsecureConnection: options.allowInsecureConnection,
  });
  const response = await options.send(request);
  if (response.status === 401 || response.status === 403) throw new ArchiverSignInError(response.status);
  if (response.status !== 200 || !response.bodyAsText) throw new Error(`archiver sign-in failed with HTTP ${response.status}`);
  let body: { access_token?: unknown };
  try {
    body = JSON.parse(response.bodyAsText) as typeof body;
  } catch {
    // An HTML login page or a proxy's error page: the archiver URL or something in front of it is wrong.
    const type = response.headers.get('content-type') ?? 'no content type';
    throw new ArchiverProtocolError(`the archiver's sign-in answered HTTP 200 with something that is not JSON (${type}); check the connector's ARCHIVER_URL`);
  }
  if (typeof body?.access_token !== 'string' || body.access_token === '') {
    throw new ArchiverProtocolError("the archiver's sign-in answered without an access_token");
  }
  return body.access_token;
}
