import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { createGraphClient } from '../../../shared/graph/graph-client';
import { nationalClouds } from '../../../shared/config/national-clouds';

/** Records what the SDK asks of the credential and what reaches the wire (global fetch), answering 200. */
function capture() {
  const scopes: string[][] = [];
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const credential: TokenCredential = {
    async getToken(s: string | string[], _o?: GetTokenOptions): Promise<AccessToken> {
      scopes.push([s].flat());
      return { token: 'test-token-not-a-secret', expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    requests.push({ url: String(input instanceof Request ? input.url : input), headers });
    return new Response(JSON.stringify({ id: 'x' }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { scopes, requests, credential, restore: () => (globalThis.fetch = original) };
}

describe('Graph client middleware', () => {
  let restore = () => {};
  afterEach(() => restore());

  it("a GRAPH_ENDPOINT proxy gets a token for the cloud's Graph, a client-request-id and the SDK version header", async () => {
    const c = capture();
    restore = c.restore;
    const graph = { nationalCloud: 'usgov' as const, endpoint: 'https://graph-proxy.contoso.example', authority: nationalClouds.usgov.authority };
    await createGraphClient(graph, { maxRetryAfterSeconds: 5, credential: c.credential }).api('/users/someone').get();
    assert.equal(c.requests.length, 1);
    const [req] = c.requests;
    assert.match(req.url, /^https:\/\/graph-proxy\.contoso\.example\/v1\.0\/users\/someone/);
    assert.equal(req.headers.authorization, 'Bearer test-token-not-a-secret');
    assert.deepEqual(c.scopes, [['https://graph.microsoft.us/.default']]);
    assert.match(req.headers['client-request-id'] ?? '', /^[0-9a-f-]{36}$/i, 'support can correlate the request');
    assert.match(req.headers.sdkversion ?? '', /graph-js\//);
  });

  it('follows a redirect from Graph', async () => {
    const c = capture();
    restore = c.restore;
    let calls = 0;
    globalThis.fetch = async (input: string | URL | Request) => {
      calls++;
      if (calls === 1) return new Response(null, { status: 302, headers: { location: 'https://graph.microsoft.com/v1.0/users/moved' } });
      return new Response(JSON.stringify({ id: input instanceof Request ? input.url : input.toString() }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    const graph = { nationalCloud: 'global' as const, endpoint: nationalClouds.global.graph, authority: nationalClouds.global.authority };
    const body = (await createGraphClient(graph, { maxRetryAfterSeconds: 5, credential: c.credential }).api('/users/old').get()) as { id: string };
    assert.equal(calls, 2);
    assert.match(body.id, /users\/moved$/);
  });
});
