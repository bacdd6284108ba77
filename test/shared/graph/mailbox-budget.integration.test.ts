import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableClient } from '@azure/data-tables';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { budgetOptionsFor, EXCHANGE_LIMITS, MailboxBudget, type BudgetOptions, type MailboxLimits } from '../../../shared/graph/mailbox-budget';
import { failureOf } from '../../../shared/http/http-error';

const MAILBOX = '7d0c1f5e-0000-4000-8000-00000000b0d9';
const FAST: BudgetOptions = { leaseMs: 1_500, idleMs: 200, maxWaitMs: 10_000, longWaitMs: 5_000, busyRetryAfterSeconds: 15, margin: 1 };
const ROOMY: MailboxLimits = { concurrent: 4, requests: 10_000, requestWindowMs: 600_000, uploadBytes: 1e9, uploadWindowMs: 300_000 };

describe('mailbox budget: one mailbox, several instances, one set of Exchange limits', () => {
  let ts: TestStorage;
  let n = 0;
  const table = async (): Promise<TableClient> => {
    const t = ts.storage.table(`mailboxlanes${++n}`);
    await t.createTable();
    return t;
  };
  before(async () => (ts = await startTestStorage()));
  after(() => ts.stop());

  /** Runs `count` requests through the budgets in turn, recording when each ran and how many ran at once. */
  async function load(budgets: MailboxBudget[], count: number, opts: { ms?: number; bytes?: number } = {}) {
    let active = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        budgets[i % budgets.length].run(MAILBOX, opts.bytes ?? 0, async () => {
          active++;
          most = Math.max(most, active);
          started.push(Date.now());
          await sleep(opts.ms ?? 15);
          active--;
        }),
      ),
    );
    return { most, started: started.sort((a, b) => a - b) };
  }

  it('three instances never send more than 4 requests at once to the mailbox, and all get through', async () => {
    const t = await table();
    const budgets = [0, 1, 2].map(() => new MailboxBudget(t, ROOMY, FAST));
    try {
      const { most, started } = await load(budgets, 90);
      assert.equal(started.length, 90);
      assert.ok(most <= 4, `${most} at once`);
      assert.ok(most >= 2, `${most} at once: the lanes are used in parallel`);
    } finally {
      await Promise.all(budgets.map((b) => b.close()));
    }
  });

  it('the request limit holds across instances in every window', async () => {
    const t = await table();
    const limits = { ...ROOMY, requests: 24, requestWindowMs: 1_000 };
    const budgets = [0, 1, 2].map(() => new MailboxBudget(t, limits, FAST));
    try {
      const { started } = await load(budgets, 60, { ms: 1 });
      for (const at of started) {
        const inWindow = started.filter((s) => s >= at && s < at + limits.requestWindowMs).length;
        assert.ok(inWindow <= limits.requests, `${inWindow} requests in the window from ${at}`);
      }
    } finally {
      await Promise.all(budgets.map((b) => b.close()));
    }
  });

  it('upload bytes are drawn from every lane an instance holds, within the limit', async () => {
    const t = await table();
    const limits = { ...ROOMY, uploadBytes: 40_000_000, uploadWindowMs: 1_000 };
    const budget = new MailboxBudget(t, limits, FAST);
    try {
      // A 12 MB request is more than one lane's 10 MB: it needs the bytes of a second lane.
      const { started } = await load([budget], 8, { bytes: 12_000_000, ms: 5 });
      for (const at of started) {
        const inWindow = started.filter((s) => s >= at && s < at + limits.uploadWindowMs).length;
        assert.ok(inWindow * 12_000_000 <= limits.uploadBytes, `${inWindow} uploads of 12 MB in the window from ${at}`);
      }
    } finally {
      await budget.close();
    }
  });

  it("one upload, range after range, draws on the whole mailbox's upload budget, not one lane's", async () => {
    const t = await table();
    // A lane's share is 10 MB; the ten 3.5 MB ranges of a 35 MB attachment need the bytes of four lanes.
    const limits = { ...ROOMY, uploadBytes: 40_000_000, uploadWindowMs: 600_000 };
    const budget = new MailboxBudget(t, limits, { ...FAST, maxWaitMs: 3_000 });
    try {
      for (let range = 0; range < 10; range++) await budget.run(MAILBOX, 3_500_000, async () => undefined);
    } finally {
      await budget.close();
    }
  });

  it('hands idle lanes back, with what they spent, for the next instance', async () => {
    const t = await table();
    const first = new MailboxBudget(t, ROOMY, FAST);
    await load([first], 6);
    await sleep(FAST.idleMs + 500);
    const rows = [];
    for await (const e of t.listEntities<{ holder: string; spent: string }>()) rows.push(e);
    assert.ok(rows.length >= 1);
    assert.deepEqual(new Set(rows.map((r) => r.holder)), new Set(['']), 'every lane handed back');
    const spent = rows.flatMap((r) => JSON.parse(r.spent) as [number, number, number][]).reduce((total, [, requests]) => total + requests, 0);
    assert.equal(spent, 6, 'the record of what was spent travels with the lanes');
    await first.close();
  });

  it("a crashed instance's lanes come free when their leases run out", async () => {
    const t = await table();
    const crashed = new MailboxBudget(t, ROOMY, { ...FAST, idleMs: 60_000 });
    // It takes every lane and dies with them (no hand-back, no renewal).
    await load([crashed], 4, { ms: 50 });
    // Killed: its timer stops, so its lanes are neither renewed nor handed back.
    clearInterval((crashed as unknown as { timer: NodeJS.Timeout }).timer);
    const other = new MailboxBudget(t, ROOMY, FAST);
    try {
      const before = Date.now();
      await load([other], 2);
      assert.ok(Date.now() - before >= 500, 'it waited for the leases');
    } finally {
      await other.close();
    }
  });

  it('a request the spent window would hold for long is handed back at once, with the time the window frees', async () => {
    const t = await table();
    const budget = new MailboxBudget(t, { ...ROOMY, requests: 4, requestWindowMs: 60_000 }, FAST);
    try {
      await load([budget], 4);
      const asked = Date.now();
      const refused = await budget.run(MAILBOX, 0, async () => 'ran').catch((err: unknown) => err);
      assert.ok(Date.now() - asked < 5_000, 'not held for the window');
      const failure = failureOf(refused);
      assert.equal(failure.code, 'MailboxBudgetBusy');
      assert.ok((failure.retryAfterSeconds ?? 0) > 50 && (failure.retryAfterSeconds ?? 0) <= 61, `Retry-After ${failure.retryAfterSeconds}`);
    } finally {
      await budget.close();
    }
  });

  it("its waits are fractions of the window: Exchange's 10 minutes keep 5 s idle, 10 s and 15 s; a 60 s window a tenth of each", () => {
    const exchange = budgetOptionsFor(EXCHANGE_LIMITS);
    assert.deepEqual([exchange.idleMs, exchange.maxWaitMs, exchange.longWaitMs, exchange.busyRetryAfterSeconds], [5_000, 10_000, 5_000, 15]);
    const scaled = budgetOptionsFor({ requestWindowMs: 60_000 });
    assert.deepEqual([scaled.idleMs, scaled.maxWaitMs, scaled.longWaitMs, scaled.busyRetryAfterSeconds], [500, 1_000, 500, 2]);
    assert.equal(scaled.leaseMs, exchange.leaseMs, 'the lease is about crashes, not the window');
  });

  it('a spent instance waits for a lane another instance holds with part of the window left, and is handed back at once only when every lane is spent', async () => {
    const t = await table();
    // Two lanes of 2 requests each per 60 s window.
    const limits = { ...ROOMY, concurrent: 2, requests: 4, requestWindowMs: 60_000 };
    const other = new MailboxBudget(t, limits, { ...FAST, idleMs: 60_000 });
    const spent = new MailboxBudget(t, limits, { ...FAST, maxWaitMs: 1_000, busyRetryAfterSeconds: 3 });
    try {
      await load([other], 1); // lane-0: 1 of its 2 spent; held on (not idle long enough to hand back)
      await load([spent], 2); // lane-1: spent
      const refused = failureOf(await spent.run(MAILBOX, 0, async () => 'ran').catch((err: unknown) => err));
      assert.equal(refused.code, 'MailboxBudgetBusy');
      assert.equal(refused.retryAfterSeconds, 3, 'lane-0 has a request left: come back soon, not when the window frees');
      await load([other], 1); // lane-0 spent too
      await sleep(1_200); // the spent instance looks at the lanes again
      const asked = Date.now();
      const later = failureOf(await spent.run(MAILBOX, 0, async () => 'ran').catch((err: unknown) => err));
      assert.ok(Date.now() - asked < 900, 'every lane spent: handed back at once');
      assert.ok((later.retryAfterSeconds ?? 0) > 50, `Retry-After ${later.retryAfterSeconds}: until the window frees`);
    } finally {
      await Promise.all([other.close(), spent.close()]);
    }
  });

  it('a request that waits too long for a lane is answered as throttled, with a Retry-After', async () => {
    const t = await table();
    const holder = new MailboxBudget(t, { ...ROOMY, concurrent: 1 }, FAST);
    const waiting = new MailboxBudget(t, { ...ROOMY, concurrent: 1 }, { ...FAST, maxWaitMs: 400 });
    try {
      const long = holder.run(MAILBOX, 0, () => sleep(1_500));
      await sleep(100);
      const refused = await waiting.run(MAILBOX, 0, async () => 'ran').catch((err: unknown) => err);
      const failure = failureOf(refused);
      assert.equal(failure.status, 429);
      assert.equal(failure.code, 'MailboxBudgetBusy');
      assert.ok((failure.retryAfterSeconds ?? 0) > 0);
      await long;
    } finally {
      await Promise.all([holder.close(), waiting.close()]);
    }
  });
});
