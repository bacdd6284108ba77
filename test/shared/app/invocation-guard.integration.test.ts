import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('invocation guard (issue 12, defect 5)', () => {
  it('a promise nobody awaited fails the invocation running, and the process lives on to run the next one', () => {
    // In a child process: the guard installs a process-wide handler.
    const script = `
      const { guarded } = require(${JSON.stringify(join(__dirname, '..', '..', '..', 'shared', 'app', 'invocation-guard.js'))});
      const context = (id) => ({ functionName: 'importer', invocationId: id });
      const leaky = guarded(async () => {
        // Two downloads at once; the second throws while the first is still running, and nobody awaits the first.
        void Promise.reject(new Error('blob path cannot be parsed'));
        await new Promise((r) => setTimeout(r, 50));
      });
      const fine = guarded(async () => undefined);
      leaky(null, context('a')).then(
        () => console.log('leaky: succeeded'),
        (err) => console.log('leaky: failed: ' + err.message),
      ).then(() => fine(null, context('b'))).then(() => console.log('next: succeeded'));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /leaky: failed: unhandled promise rejection: blob path cannot be parsed \(invocations running: importer a\)/);
    assert.match(run.stdout, /next: succeeded/);
  });
});
