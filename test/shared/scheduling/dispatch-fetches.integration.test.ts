import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../../shared/app/settings';
import { createServices, type Services } from '../../../shared/app/services';
import { dispatchFetches } from '../../../shared/scheduling/dispatch-fetches';
import { tables } from '../../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { validEnv } from '../../helpers/env';
import { takeJobs } from '../../helpers/fetch-fixture';

const HOUR = 3_600_000;

describe('scheduler dispatch (Azurite)', () => {
  let ts: TestStorage;
  let services: Services;
  let runs = 0;

  const run = (now: Date) => dispatchFetches({ ...services, now, runId: `run-${++runs}` });
  const drainJobs = () => takeJobs(services);

  before(async () => {
    ts = await startTestStorage();
  });
  after(() => ts.stop());
  beforeEach(async () => {
    await ts.storage.tableService.deleteTable(tables.checkpoints);
    await ts.storage.tableService.createTable(tables.checkpoints);
    const settings = loadSettings(validEnv(ts.connectionString, { ARCHIVE_CONNECTORS: 'enterprise,o2', CONNECTOR__O2__ENABLED: 'false' }));
    services = createServices(settings, ts.storage);
    await drainJobs();
  });

  it('a connector whose password did not resolve is reported failed, naming the setting, and the others are dispatched', async () => {
    const settings = loadSettings(
      validEnv(ts.connectionString, {
        ARCHIVE_CONNECTORS: 'enterprise,o2',
        CONNECTOR__O2__PASSWORD: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/o2)',
      }),
    );
    const errors: string[] = [];
    const now = new Date('2026-03-10T02:00:00Z');
    const outcomes = await dispatchFetches({ ...createServices(settings, ts.storage), now, runId: 'run-unavailable', error: (m) => errors.push(m) });
    assert.deepEqual(
      outcomes.map((o) => [o.connectorId, o.outcome]),
      [
        ['enterprise', 'dispatched'],
        ['o2', 'unavailable'],
      ],
    );
    const jobs = await drainJobs();
    assert.deepEqual(
      jobs.map((j) => j.connectorId),
      ['enterprise'],
    );
    assert.equal(await services.checkpoints.read('o2'), undefined, 'nothing claimed: the first run after the fix fetches from the same start');
    const o2 = (await services.runStatus.summarize('run-unavailable'))!.connectors.find((c) => c.connectorId === 'o2')!;
    assert.equal(o2.state, 'failed');
    assert.match(o2.message ?? '', /CONNECTOR__O2__PASSWORD is an unresolved Key Vault reference/);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /connector o2 is unavailable: CONNECTOR__O2__PASSWORD/);
  });

  it('first run sends exactly one job per enabled connector for [now - lag - lookback, now - lag)', async () => {
    const now = new Date('2026-03-10T02:00:00Z');
    const outcomes = await run(now);
    assert.deepEqual(
      outcomes.map((o) => [o.connectorId, o.outcome]),
      [['enterprise', 'dispatched']],
    );
    const jobs = await drainJobs();
    assert.equal(jobs.length, 1);
    assert.deepEqual(jobs[0].window, { from: '2026-03-09T01:00:00.000Z', to: '2026-03-10T01:00:00.000Z' });
    assert.equal(jobs[0].connectorId, 'enterprise');
    assert.equal(jobs[0].part, 0);
    const summary = await services.runStatus.summarize(jobs[0].runId);
    assert.equal(summary?.connectors[0].state, 'dispatched');
  });

  it('does not send an overlapping window while one is in flight, then catches up three missed days in one window', async () => {
    const day1 = new Date('2026-03-10T02:00:00Z');
    await run(day1);
    const [first] = await drainJobs();
    const again = await run(new Date(day1.getTime() + HOUR));
    assert.deepEqual(
      again.map((o) => o.outcome),
      ['in-flight'],
    );
    assert.equal((await drainJobs()).length, 0, 'no second job while the first is in flight');

    assert.equal(await services.checkpoints.complete('enterprise', first.runId), true);
    const day4 = new Date(day1.getTime() + 3 * 24 * HOUR);
    await run(day4);
    const [catchUp, ...rest] = await drainJobs();
    assert.equal(rest.length, 0);
    assert.deepEqual(catchUp.window, { from: first.window.to, to: '2026-03-13T01:00:00.000Z' }, 'continues exactly at the watermark');
  });

  it('a job of a superseded run cannot move the watermark', async () => {
    await run(new Date('2026-03-10T02:00:00Z'));
    const [first] = await drainJobs();
    // The lease (180 min) expires, the window is dispatched again under a new run.
    await run(new Date('2026-03-10T06:00:00Z'));
    const [second] = await drainJobs();
    assert.notEqual(second.runId, first.runId);
    assert.equal(second.window.from, first.window.from);
    assert.equal(await services.checkpoints.complete('enterprise', first.runId), false);
    assert.equal(await services.checkpoints.complete('enterprise', second.runId), true);
    const cp = await services.checkpoints.read('enterprise');
    assert.equal(cp?.watermark?.toISOString(), second.window.to);
    assert.equal(cp?.inFlight, undefined);
  });

  it('a window claimed by a scheduler that crashed before sending is sent on the next run, same run id', async () => {
    const now = new Date('2026-03-10T02:00:00Z');
    await services.checkpoints.claim('enterprise', undefined, {
      runId: 'crashed-run',
      from: new Date('2026-03-09T01:00:00Z'),
      to: new Date('2026-03-10T01:00:00Z'),
      state: 'claimed',
      claimedAt: new Date(now.getTime() - 5 * 60_000),
      leaseUntil: new Date(now.getTime() + HOUR),
    });
    const outcomes = await run(now);
    assert.deepEqual(
      outcomes.map((o) => o.outcome),
      ['redispatched'],
    );
    const jobs = await drainJobs();
    assert.deepEqual(
      jobs.map((j) => j.runId),
      ['crashed-run'],
    );
    assert.equal((await services.checkpoints.read('enterprise'))?.inFlight?.state, 'dispatched');
  });

  it('two schedulers racing send one job', async () => {
    const now = new Date('2026-03-10T02:00:00Z');
    await Promise.all([run(now), run(now), run(now)]);
    assert.equal((await drainJobs()).length, 1);
  });

  it('the registered timer function dispatches through the same path', async () => {
    const env = validEnv(ts.connectionString, { ARCHIVE_CONNECTORS: 'whatsapp' });
    Object.assign(process.env, env);
    // Required only now, with the environment set: registering the function reads it.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { scheduler } = require('../../../functions/scheduler') as typeof import('../../../functions/scheduler');
    const { InvocationContext } = require('@azure/functions') as typeof import('@azure/functions');
    /* eslint-enable @typescript-eslint/no-require-imports */
    await scheduler(
      { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: undefined as never },
      new InvocationContext({ logHandler: () => undefined }),
    );
    const jobs = await drainJobs();
    assert.deepEqual(
      jobs.map((j) => j.connectorId),
      ['whatsapp'],
    );
  });
});
