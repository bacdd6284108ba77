/**
 * Runs the compiled tests under dist/test with Node's test runner.
 *   node dist/test/run.js [--unit] [filter ...]
 * Convention: `*.integration.test.ts` run the stages against Azurite and the local simulators (each
 * starts its own on free ports; nothing needs the network); every other `*.test.ts` is a unit test:
 * pure, no storage, no servers, no child processes. `--unit` runs only those (`npm run test:unit`).
 * `*.live.test.ts` talk to a real Microsoft 365 tenant and run only with `--live` (`npm run test:live`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CommandExit, parseCommandLine } from '../dev/cli/command-line';

export const INTEGRATION_SUFFIX = '.integration.test.js';
/** Tests against a real Microsoft 365 tenant: only with --live (`npm run test:live`), which runs nothing else. */
export const LIVE_SUFFIX = '.live.test.js';

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : findTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const root = __dirname;
let parsed;
try {
  parsed = parseCommandLine({
    usage: 'node dist/test/run.js [--unit | --live] [filter ...]',
    help: 'Runs the test files whose path contains a filter (all when none).',
    options: { unit: { type: 'boolean' }, live: { type: 'boolean' } },
    positionals: { min: 0, max: Infinity },
  });
} catch (err) {
  process.exit(err instanceof CommandExit ? err.code : 2);
}
const unitOnly = parsed.values.unit ?? false;
const live = parsed.values.live ?? false;
const filter = parsed.positionals;
const files = findTests(root)
  .filter((f) => f.endsWith(LIVE_SUFFIX) === live)
  .filter((f) => !unitOnly || !f.endsWith(INTEGRATION_SUFFIX))
  .filter((f) => filter.length === 0 || filter.some((p) => relative(root, f).includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filter.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
