import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS, retryDelaySeconds } from '../../../shared/runs/back-off';

describe('retry back-off (issue 12, defect 6)', () => {
  const since = '2026-03-10T00:00:00.000Z';
  const at = (seconds: number) => new Date(Date.parse(since) + seconds * 1000);
  const DAY = 24 * 3600;

  it('grows from 30 s, doubling, to at most an hour apart', () => {
    const delays = [0, 1, 2, 3, 10].map((retries) => retryDelaySeconds(retries, since, at(60), DAY));
    assert.deepEqual(delays, [FIRST_RETRY_SECONDS, 60, 120, 240, MAX_RETRY_SECONDS]);
  });

  it('keeps retrying a few-minute outage instead of giving up after 2.5 minutes', () => {
    let elapsed = 0;
    let retries = 0;
    // An outage of 20 minutes: every retry inside it fails; none is given up.
    while (elapsed < 20 * 60) {
      const delay = retryDelaySeconds(retries++, since, at(elapsed), DAY);
      assert.ok(delay !== undefined, `gave up after ${elapsed} s`);
      elapsed += delay;
    }
    assert.ok(retries < 10, `${retries} retries for 20 minutes`);
  });

  it('stops at the horizon, and the last wait ends on it', () => {
    assert.equal(retryDelaySeconds(30, since, at(DAY - 100), DAY), 100);
    assert.equal(retryDelaySeconds(30, since, at(DAY), DAY), undefined);
  });
});
