/**
 * Pipeline policy: signs in with the account's username and password, sends the bearer token,
 * and on a 401 (expired token) signs in again and repeats the request once. Concurrent requests
 * share one sign-in. The token is never logged.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import { ArchiverSignInError } from './errors';

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
  const body = JSON.parse(response.bodyAsText) as { access_token?: unknown };
  if (typeof body.access_token !== 'string' || body.access_token === '') throw new Error('archiver sign-in answered without an access_token');
  return body.access_token;
}
