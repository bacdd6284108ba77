import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGraphSimulator, type GraphSimulator } from '../../../dev/stack/graph-sim/server';
import { SimStore } from '../../../dev/stack/graph-sim/store';

interface Pair {
  name: string;
  source: string;
  request: {
    method: string;
    path?: string;
    url?: string;
    json?: unknown;
    mime?: string;
    contentType?: string;
    headers?: Record<string, string>;
    bytes?: number;
    noAuth?: boolean;
  };
  response: { status: number; body?: unknown; headers?: Record<string, string> };
  capture?: Record<string, string>;
}

const pairs = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'graph-parity', 'pairs.json'), 'utf8')) as { pairs: Pair[] })
  .pairs;

/** Matches actual against expected: matchers in angle brackets, arrays element by element, objects by the expected keys. */
function match(actual: unknown, expected: unknown, path: string, fill: (s: string) => string): void {
  if (typeof expected === 'string' && expected.includes('${')) expected = fill(expected);
  if (expected === '<any>') return;
  if (expected === '<string>') return assert.equal(typeof actual, 'string', `${path} is a string`);
  if (expected === '<iso-date>') return assert.ok(typeof actual === 'string' && !Number.isNaN(Date.parse(actual)), `${path} is a date`);
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is an array`);
    assert.equal(actual.length, expected.length, `${path} length`);
    expected.forEach((e, i) => match(actual[i], e, `${path}[${i}]`, fill));
    return;
  }
  if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path} is an object`);
    for (const [k, v] of Object.entries(expected)) match((actual as Record<string, unknown>)[k], v, `${path}.${k}`, fill);
    return;
  }
  assert.deepEqual(actual, expected, path);
}

describe('Graph simulator parity with documented Graph behaviour', () => {
  let sim: GraphSimulator;
  const captured: Record<string, string> = {};
  before(async () => {
    sim = await startGraphSimulator();
  });
  after(() => sim.close());

  const fill = (s: string) =>
    s
      .replace('{user}', sim.users.find((u) => u.hasMailbox && u.userType === 'Member')!.id)
      .replace('{userNoMailbox}', sim.users.find((u) => !u.hasMailbox && u.userType === 'Member')!.userPrincipalName)
      .replace(/\$\{(\w+)\}/g, (_, k: string) => captured[k] ?? `<missing ${k}>`);

  for (const pair of pairs) {
    it(`${pair.name} (${pair.source})`, async () => {
      const r = pair.request;
      const url = r.url ? fill(r.url) : `${sim.url}${fill(r.path!)}`;
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      let body: string | Buffer | undefined;
      if (r.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(r.json);
      } else if (r.mime !== undefined) {
        headers['Content-Type'] = r.contentType ?? 'text/plain';
        body = Buffer.from(r.mime).toString('base64');
      } else if (r.bytes !== undefined) {
        body = Buffer.alloc(r.bytes, 7);
      }
      // The upload URL is pre-authenticated and must be sent without Authorization.
      if (!r.noAuth && !r.url) headers.Authorization = 'Bearer parity-test';
      const res = await fetch(url, { method: r.method, headers, body });
      const text = await res.text();
      assert.equal(res.status, pair.response.status, text);
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      if (pair.response.body !== undefined) match(json, pair.response.body, 'body', fill);
      for (const [h, v] of Object.entries(pair.response.headers ?? {})) match(res.headers.get(h) ?? undefined, v, `header ${h}`, fill);
      for (const [name, field] of Object.entries(pair.capture ?? {})) captured[name] = String(json?.[field]);
    });
  }

  it('refuses requests over 4 MB, and throttles a fifth concurrent request to a mailbox with 429 and Retry-After', async () => {
    const user = sim.users.find((u) => u.hasMailbox)!;
    const big = await fetch(`${sim.url}/v1.0/users/${user.id}/messages`, {
      method: 'POST',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      body: JSON.stringify({ subject: 'x'.repeat(4 * 1024 * 1024) }),
    });
    assert.equal(big.status, 413);
    sim.setOptions({ latencyMs: 200 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => fetch(`${sim.url}/v1.0/users/${user.id}/mailFolders`, { headers: { Authorization: 'Bearer t' } })),
      );
      const throttled = answers.filter((a) => a.status === 429);
      assert.equal(throttled.length, 1);
      assert.ok(Number(throttled[0].headers.get('retry-after')) >= 0);
      assert.equal(((await throttled[0].json()) as { error: { code: string } }).error.code, 'ApplicationThrottled');
    } finally {
      sim.setOptions({ latencyMs: 0 });
    }
  });

  it('keeps on disk what it answered: a message is in its state folder before the create returns, and is back after a restart', async () => {
    const dumpDir = mkdtempSync(join(tmpdir(), 'graph-sim-state-'));
    const withDump = await startGraphSimulator({ dumpDir });
    try {
      const user = withDump.users.find((u) => u.hasMailbox)!;
      const auth = { Authorization: 'Bearer t', 'Content-Type': 'application/json' };
      const folder = (await (
        await fetch(`${withDump.url}/v1.0/users/${user.id}/mailFolders`, { method: 'POST', headers: auth, body: JSON.stringify({ displayName: 'Kept' }) })
      ).json()) as { id: string };
      const created = await fetch(`${withDump.url}/v1.0/users/${user.id}/mailFolders/${folder.id}/messages`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ subject: 'acknowledged', body: { contentType: 'text', content: 'kept' } }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: string };
      // Read from disk at once, as a simulator killed right after its answer would leave it (no close, no timer).
      const onDisk = SimStore.load(join(dumpDir, 'state'));
      assert.equal(onDisk.mailboxes.get(user.id)?.messages.get(id)?.subject, 'acknowledged');
      assert.ok([...(onDisk.mailboxes.get(user.id)?.folders.values() ?? [])].some((f) => f.displayName === 'Kept'));
      await fetch(`${withDump.url}/v1.0/users/${user.id}/messages/${id}`, { method: 'DELETE', headers: auth });
      const deleted = SimStore.load(join(dumpDir, 'state')).mailboxes.get(user.id)?.messages.get(id);
      assert.equal(
        deleted?.folderId,
        [...onDisk.mailboxes.get(user.id)!.folders.values()].find((f) => f.wellKnownName === 'deleteditems')?.id,
        'moved to Deleted Items on disk too',
      );
    } finally {
      await withDump.close();
      rmSync(dumpDir, { recursive: true, force: true });
    }
  });
});
