/**
 * `npm run test:faults [-- --only a,b] [--items-per-day N]`: the fault matrix (dev/faults/scenarios.ts).
 * Runs the clean baseline, then every scenario against the baseline's mailbox copies, prints the
 * table (scenario, items, expected copies, landed, lost, duplicated, named failures) and exits 1
 * if any scenario lost or duplicated a copy, left a deliberate failure unnamed, or did not exit in time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFaultSuite, formatTable } from '../faults/fault-suite';
import { scenarios } from '../faults/scenarios';
import { appRoot } from '../stack/app-root';
import { parseCommandLine, runCommand, wholeNumber } from './command-line';

const spec = {
  usage: 'npm run test:faults [-- --only a,b] [--items-per-day N]',
  help: `Runs the fault matrix: a clean baseline, then each scenario (archiver and Graph faults, duplicated
deliveries, kill -9, malformed input) audited copy by copy against it. Prints the table, writes
.local/faults.json; exit 1 if a scenario lost or duplicated a copy or left a failure unnamed.
  --only a,b           only these scenarios (and the baseline): ${scenarios.map((s) => s.name).join(', ')}
  --items-per-day N    simulated items per product and day (default 24)`,
  options: { only: { type: 'string' }, 'items-per-day': { type: 'string' } },
} as const;

async function main(): Promise<number> {
  const { values } = parseCommandLine(spec);
  const only = values.only?.split(',');
  const itemsPerDay = wholeNumber(values['items-per-day'], '--items-per-day', 24, { min: 1 });
  const unknown = only?.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown && unknown.length > 0) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}; scenarios: ${scenarios.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'mac-faults-'));
  try {
    const results = await runFaultSuite({
      scenarios: scenarios.filter((s) => !only || only.includes(s.name)),
      workDir,
      itemsPerDay,
      onResult: (r) =>
        console.log(
          `${r.problems.length === 0 ? 'pass' : 'FAIL'} ${r.scenario} (${r.seconds} s, exits ${r.exitCodes.join(', ')})${r.problems.map((p) => `\n  - ${p}`).join('')}`,
        ),
    });
    console.log(`\n${formatTable(results).join('\n')}`);
    mkdirSync(join(appRoot, '.local'), { recursive: true });
    writeFileSync(
      join(appRoot, '.local', 'faults.json'),
      `${JSON.stringify(
        results.map(({ copies: _, ...r }) => r),
        null,
        2,
      )}\n`,
    );
    console.log(`results in ${join(appRoot, '.local', 'faults.json')}`);
    return results.every((r) => r.problems.length === 0) ? 0 : 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

runCommand(main, { stack: true });
