import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planWindow, STALE_CLAIM_MS } from '../../../shared/scheduling/plan-window';
import type { Checkpoint } from '../../../shared/windows/checkpoints';

const now = new Date('2026-03-10T02:00:00.250Z');
const base = { now, safetyLagMinutes: 60, initialLookbackHours: 24 };
const iso = (d: Date) => d.toISOString();

/** o2's window of 8 to 9 March, dispatched, with its lease ending at `leaseUntil`. */
const dispatchedWindow = (leaseUntil: Date): Checkpoint => ({
  connectorId: 'o2',
  watermark: new Date('2026-03-08T01:00:00Z'),
  inFlight: {
    runId: 'r1',
    from: new Date('2026-03-08T01:00:00Z'),
    to: new Date('2026-03-09T01:00:00Z'),
    state: 'dispatched',
    claimedAt: new Date('2026-03-09T02:00:00Z'),
    leaseUntil,
  },
  etag: 'e',
});

describe('planWindow', () => {
  it('first run: the lookback before now minus the lag, to the whole second', () => {
    const plan = planWindow({ ...base, checkpoint: undefined });
    assert.equal(plan.action, 'dispatch');
    assert.equal(iso(plan.window.to), '2026-03-10T01:00:00.000Z');
    assert.equal(iso(plan.window.from), '2026-03-09T01:00:00.000Z');
  });

  it('first run honours a configured start for backfill', () => {
    const plan = planWindow({ ...base, checkpoint: undefined, startFrom: new Date('2026-01-01T00:00:00Z') });
    assert.equal(iso(plan.window!.from), '2026-01-01T00:00:00.000Z');
  });

  it('catch-up after three missed days: one window from the watermark to now minus the lag', () => {
    const checkpoint: Checkpoint = { connectorId: 'o2', watermark: new Date('2026-03-06T01:00:00Z'), etag: 'e' };
    const plan = planWindow({ ...base, checkpoint });
    assert.equal(plan.action, 'dispatch');
    assert.equal(iso(plan.window.from), '2026-03-06T01:00:00.000Z');
    assert.equal(iso(plan.window.to), '2026-03-10T01:00:00.000Z');
  });

  it('a window still in flight blocks an overlapping one', () => {
    const checkpoint = dispatchedWindow(new Date('2026-03-10T03:00:00Z'));
    const plan = planWindow({ ...base, checkpoint });
    assert.deepEqual(plan, { action: 'skip', reason: 'in-flight', window: { from: checkpoint.inFlight!.from, to: checkpoint.inFlight!.to } });
  });

  it('a claim left unsent by a crashed scheduler is sent again with its run id', () => {
    const inFlight = {
      runId: 'r1',
      from: new Date('2026-03-08T01:00:00Z'),
      to: new Date('2026-03-09T01:00:00Z'),
      state: 'claimed' as const,
      claimedAt: new Date(now.getTime() - STALE_CLAIM_MS),
      leaseUntil: new Date('2026-03-10T03:00:00Z'),
    };
    const plan = planWindow({ ...base, checkpoint: { connectorId: 'o2', inFlight, etag: 'e' } });
    assert.deepEqual(plan, { action: 'redispatch', window: { from: inFlight.from, to: inFlight.to }, runId: 'r1' });
  });

  it('a fresh claim belongs to a scheduler that is sending it right now: skip', () => {
    const inFlight = {
      runId: 'r1',
      from: new Date('2026-03-08T01:00:00Z'),
      to: new Date('2026-03-09T01:00:00Z'),
      state: 'claimed' as const,
      claimedAt: new Date(now.getTime() - 1000),
      leaseUntil: new Date('2026-03-10T03:00:00Z'),
    };
    const plan = planWindow({ ...base, checkpoint: { connectorId: 'o2', inFlight, etag: 'e' } });
    assert.equal(plan.action, 'skip');
  });

  it('an expired lease frees the connector: the next window starts at the watermark again', () => {
    const checkpoint = dispatchedWindow(new Date('2026-03-10T01:59:59Z'));
    const plan = planWindow({ ...base, checkpoint });
    assert.equal(plan.action, 'dispatch');
    assert.equal(iso(plan.window.from), '2026-03-08T01:00:00.000Z');
  });

  it('the lag keeps the window clear of items the archiver may still be ingesting', () => {
    const plan = planWindow({ ...base, safetyLagMinutes: 180, checkpoint: { connectorId: 'o2', watermark: new Date('2026-03-09T00:00:00Z'), etag: 'e' } });
    assert.equal(iso(plan.window!.to), '2026-03-09T23:00:00.000Z');
  });

  it('nothing to fetch when the watermark is already past now minus the lag', () => {
    const plan = planWindow({ ...base, checkpoint: { connectorId: 'o2', watermark: new Date('2026-03-10T01:30:00Z'), etag: 'e' } });
    assert.deepEqual(plan, { action: 'skip', reason: 'nothing-new' });
  });
});
