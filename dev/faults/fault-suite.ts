/** The fault matrix end to end: the baseline first (the ground truth), then each scenario audited against it. */
import { BASELINE, type Scenario } from './scenarios';
import { runScenario, type ScenarioResult } from './fault-run';

export interface FaultSuiteOptions {
  scenarios: readonly Scenario[];
  workDir: string;
  itemsPerDay: number;
  timeoutMinutes?: number;
  onResult?: (r: ScenarioResult) => void;
}

export async function runFaultSuite(options: FaultSuiteOptions): Promise<ScenarioResult[]> {
  // Whole hours, a day back: every scenario's first window starts here, and the later a run, the more it may see.
  const startFrom = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 24 * 3_600_000);
  const suite = { startFrom, itemsPerDay: options.itemsPerDay, timeoutMinutes: options.timeoutMinutes ?? 10, workDir: options.workDir, seed: 20261121 };
  const baselineScenario = options.scenarios.find((s) => s.name === BASELINE) ?? { name: BASELINE, faults: 'none', expectOk: true };
  const baseline = await runScenario(baselineScenario, suite);
  options.onResult?.(baseline);
  const results = [baseline];
  for (const scenario of options.scenarios.filter((s) => s.name !== BASELINE)) {
    const result = await runScenario(scenario, suite, baseline.copies).catch((err: Error) => broken(scenario, err));
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}

/** A scenario that could not run (a stand-in did not start): a failure of the suite, and the others still run. */
function broken(scenario: Scenario, err: Error): ScenarioResult {
  return {
    scenario: scenario.name,
    faults: scenario.faults,
    items: 0,
    expected: 0,
    landed: 0,
    lost: 0,
    duplicated: 0,
    named: 0,
    outcomes: {},
    poisonMessages: 0,
    exitCodes: [],
    seconds: 0,
    problems: [`the scenario could not run: ${err.message}`],
    copies: [],
  };
}

/** The table docs/operations.md shows. */
export function formatTable(results: readonly ScenarioResult[]): string[] {
  const rows = results.map((r) => [
    r.scenario,
    String(r.items),
    String(r.expected),
    String(r.landed),
    String(r.lost),
    String(r.duplicated),
    Object.entries(r.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') + (r.poisonMessages > 0 ? `${Object.keys(r.outcomes).length > 0 ? ', ' : ''}poison queue ${r.poisonMessages}` : ''),
    r.problems.length === 0 ? 'pass' : 'FAIL',
  ]);
  const header = ['scenario', 'items', 'expected copies', 'landed', 'lost', 'duplicated', 'named failures', 'result'];
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}
