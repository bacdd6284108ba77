import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFaultSuite, formatTable } from '../../dev/faults/fault-suite';
import { scenarios } from '../../dev/faults/scenarios';

// The quick part of `npm run test:faults` (docs/operations.md has the whole matrix): faults the
// pipeline absorbs within one cycle, and duplicated deliveries, audited copy by copy.
describe('fault suite (quick scenarios)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'mac-faults-test-'));
  after(() => rmSync(workDir, { recursive: true, force: true }));

  it('loses and duplicates no mailbox copy under transient archiver and Graph faults and duplicated deliveries', async () => {
    const results = await runFaultSuite({ scenarios: scenarios.filter((s) => s.quick), workDir, itemsPerDay: 12 });
    const table = formatTable(results).join('\n');
    assert.deepEqual(
      results.map((r) => r.scenario),
      scenarios.filter((s) => s.quick).map((s) => s.name),
    );
    assert.ok(results[0].expected > 20, `the baseline made too few copies to say anything\n${table}`);
    for (const r of results) {
      assert.deepEqual(r.problems, [], `${r.scenario}\n${table}`);
      assert.equal(r.lost, 0);
      assert.equal(r.duplicated, 0);
      assert.equal(r.landed, r.expected);
    }
  });
});
