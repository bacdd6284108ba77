/**
 * Runs one fault scenario and audits it. The stand-ins (Azurite with its data on disk, the archiver
 * and Graph simulators) run in processes of their own; the app is `npm start -- --once --attach`
 * in a process group of its own, so a kill -9 takes the app and nothing else, as a crashed Functions
 * worker would. After the cycle the simulated mailboxes are compared with the ground truth: the
 * mailbox copies of the clean baseline run, each of which must have landed exactly once or be
 * accounted for by a failure the report names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startAzurite, type RunningAzurite } from '../stack/azurite';
import { createStorageClients, type StorageClients } from '../../shared/storage/clients';
import { ensureStorageLayout } from '../../shared/storage/provision';
import { containers, queues, tables } from '../../shared/storage/names';
import { DUPLICATE_BLOB_EVENTS } from '../stack/host/dev-host';
import { auditMailboxes, copyKey, type MailboxAudit, type MailboxCopy } from '../stack/mailbox-audit';
import type { FailureReport, RunReport } from '../stack/run-report';
import { sleep } from '../stack/host/sleep';
import { spawnServer } from '../stack/serve';
import { outcomeOf } from '../../shared/text/named-outcome';
import type { Scenario } from './scenarios';
import { Random } from '../stack/archiver-sim/random';
import { SeededItemSource } from '../stack/archiver-sim/item-source';

const CONNECTORS = { enterprise: 'enterprise-number', o2: 'o2-network', whatsapp: 'whatsapp' } as const;
/** Where the compiled entry points are (this file runs as dist/dev/faults/fault-run.js). */
const DIST_DEV = join(__dirname, '..');

export interface SuiteOptions {
  /** Start of every scenario's first window (CONNECTOR__<ID>__START_FROM), so later runs see a superset of the baseline's items. */
  startFrom: Date;
  itemsPerDay: number;
  /** `npm start --timeout-minutes` of each run; the process is killed one minute after. */
  timeoutMinutes: number;
  workDir: string;
  seed: number;
}

export interface ScenarioResult {
  scenario: string;
  faults: string;
  items: number;
  expected: number;
  landed: number;
  lost: number;
  duplicated: number;
  /** Expected copies missing because of a failure the report names (an item, a page, a window). */
  named: number;
  outcomes: Record<string, number>;
  poisonMessages: number;
  exitCodes: (number | string)[];
  seconds: number;
  /** Why the scenario fails the suite; empty when it passes. */
  problems: string[];
  copies: MailboxCopy[];
}

interface StandIns {
  azurite: RunningAzurite;
  storage: StorageClients;
  archiverUrl: string;
  graphUrl: string;
  stop(): Promise<void>;
}

export async function runScenario(scenario: Scenario, suite: SuiteOptions, baseline?: MailboxCopy[]): Promise<ScenarioResult> {
  const dir = join(suite.workDir, scenario.name);
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const standIns = await startStandIns(dir, scenario, suite);
  const exitCodes: ScenarioResult['exitCodes'] = [];
  const problems: string[] = [];
  let duplicator: Duplicator | undefined;
  try {
    const env = appEnv(standIns, scenario, suite);
    if (scenario.malformed) await injectMalformed(standIns.storage);
    if (scenario.duplicateDeliveries) duplicator = new Duplicator(standIns.storage);
    const random = new Random(`${suite.seed}:${scenario.name}`);
    for (let k = 0; k < (scenario.kills ?? 0); k++) {
      // A random point of the cycle: sign-in, fetch, convert or import, by how far it got.
      const outcome = await runApp(env, dir, suite.timeoutMinutes, random.int(4_000, 12_000));
      exitCodes.push(outcome);
    }
    const last = await runApp(env, dir, suite.timeoutMinutes);
    exitCodes.push(last);
    await duplicator?.stop();
    const report = JSON.parse(readFileSync(join(dir, 'last-run.json'), 'utf8')) as RunReport;
    const audit = await auditMailboxes(standIns.graphUrl, standIns.storage.table(tables.importLedger));
    const result = judge(scenario, report, audit, baseline);
    problems.push(...result.problems);
    if (!baseline) problems.push(...(await everySourceItemAccountedFor(report, audit, suite)));
    if (last === 'timeout') problems.push(`npm start -- --once did not exit within ${suite.timeoutMinutes} min`);
    else if (last !== 0 && last !== 1) problems.push(`npm start -- --once exited with ${last}`);
    if (scenario.expectOk && last !== 0) problems.push(`expected a clean report (exit 0), got exit ${last}: ${summarize(report)}`);
    if (duplicator && duplicator.sent === 0) problems.push('no delivery was duplicated');
    return { ...result, scenario: scenario.name, faults: scenario.faults, exitCodes, seconds: Math.round((Date.now() - started) / 1000), problems };
  } finally {
    await duplicator?.stop();
    await standIns.stop();
  }
}

/** The copies in the mailboxes against the expected ones (the baseline's, or for the baseline itself, all it made). */
function judge(scenario: Scenario, report: RunReport, audit: MailboxAudit, baseline: MailboxCopy[] | undefined) {
  const problems: string[] = [];
  const expected = baseline ?? audit.copies;
  const present = new Set(audit.copies.map(copyKey));
  const missing = expected.filter((c) => !present.has(copyKey(c)));
  const unaccounted = missing.filter((c) => !namedBy(report.failures, c));
  const lost = unaccounted.length;
  const duplicated = audit.duplicates.reduce((n, d) => n + d.count - 1, 0);
  if (lost > 0) problems.push(`${lost} expected copies neither landed nor named by a failure, e.g. ${unaccounted.slice(0, 3).map(copyKey).join(', ')}`);
  if (duplicated > 0) problems.push(`${duplicated} duplicated copies, e.g. ${audit.duplicates.slice(0, 3).map(copyKey).join(', ')}`);
  if (audit.gaps.length > 0) problems.push(`${audit.gaps.length} ledger rows say imported but the mailbox lacks the message`);
  for (const outcome of scenario.expectOutcomes ?? []) {
    if (!(report.outcomes[outcome] > 0)) problems.push(`the report names no ${outcome} (outcomes: ${JSON.stringify(report.outcomes)})`);
  }
  const unnamed = report.failures.filter((f) => !outcomeOf(f.reason));
  if (unnamed.length > 0) problems.push(`${unnamed.length} failures without a named outcome, e.g. ${unnamed[0].reason.slice(0, 120)}`);
  if (scenario.malformed) problems.push(...checkMalformedNamed(report));
  if (!baseline && audit.copies.length === 0) problems.push('the baseline imported nothing');
  return {
    items: new Set(expected.map((c) => `${c.connectorId}|${c.itemId}`)).size,
    expected: expected.length,
    landed: expected.length - missing.length,
    lost,
    duplicated,
    named: missing.length - lost,
    outcomes: report.outcomes,
    poisonMessages: report.poisonQueues.reduce((n, q) => n + q.messages, 0),
    problems,
    copies: audit.copies,
  };
}

/**
 * The baseline against the simulator's own list: every item of each connector's window was fetched
 * once, and has a mailbox copy or is reported unmapped (with its reasons).
 */
async function everySourceItemAccountedFor(report: RunReport, audit: MailboxAudit, suite: SuiteOptions): Promise<string[]> {
  const source = new SeededItemSource({ seed: suite.seed, itemsPerDay: suite.itemsPerDay, largeAttachmentBytes: 0 });
  const problems: string[] = [];
  const withCopy = new Set(audit.copies.map((c) => `${c.connectorId}|${c.itemId}`));
  for (const [id, product] of Object.entries(CONNECTORS)) {
    const c = report.connectors[id];
    if (!c?.windowFrom || !c.windowTo) {
      problems.push(`${id}: the report has no window`);
      continue;
    }
    const items = await source.listWindow(product, new Date(c.windowFrom), new Date(c.windowTo));
    if (c.fetched !== items.length) problems.push(`${id}: ${c.fetched} fetched, the archiver has ${items.length} in the window`);
    const unmapped = new Set((report.unmapped[id] ?? []).map((u) => u.itemId));
    const unaccounted = items.filter((i) => !withCopy.has(`${id}|${i.id}`) && !unmapped.has(i.id));
    if (unaccounted.length > 0)
      problems.push(`${id}: ${unaccounted.length} source items neither in a mailbox nor reported unmapped, e.g. ${unaccounted[0].id}`);
  }
  return problems;
}

/** A failure names a copy when it names the copy, its item, or a page/window of its connector (the items not fetched). */
function namedBy(failures: FailureReport[], c: MailboxCopy): boolean {
  return failures.some(
    (f) =>
      f.connectorId === c.connectorId &&
      (f.key === c.itemId || f.key.startsWith(`${c.itemId}@`) || f.stage === 'connector' || /^(page|line|window)-/.test(f.key)),
  );
}

function summarize(report: RunReport): string {
  const f = report.failures.slice(0, 2).map((x) => `${x.connectorId} ${x.stage} ${x.key}: ${x.reason.slice(0, 100)}`);
  const p = report.poisonQueues.filter((q) => q.messages > 0).map((q) => `${q.queue} ${q.messages}: ${q.examples.slice(0, 2).join('; ')}`);
  return [...f, ...p].join(' | ') || 'no failure listed';
}

async function startStandIns(dir: string, scenario: Scenario, suite: SuiteOptions): Promise<StandIns> {
  const azurite = await startAzurite({ location: join(dir, 'azurite') });
  const children: ChildProcess[] = [];
  try {
    const simEnv = {
      ...process.env,
      ARCHIVER_SIM_SEED: String(suite.seed),
      ARCHIVER_SIM_ITEMS_PER_DAY: String(suite.itemsPerDay),
      ARCHIVER_SIM_LARGE_ATTACHMENT_MB: '0',
      ARCHIVER_SIM_FAULTS: scenario.archiver ?? '',
      GRAPH_SIM_FAULTS: scenario.graph ?? '',
    };
    const archiver = await spawnServer('archiver-sim/main.js', [], simEnv);
    children.push(archiver.proc);
    const graph = await spawnServer('graph-sim/main.js', ['--dump', join(dir, 'graph-sim')], simEnv);
    children.push(graph.proc);
    const storage = createStorageClients({ kind: 'connectionString', connectionString: azurite.connectionString });
    await ensureStorageLayout(storage, { devHost: true });
    return {
      azurite,
      storage,
      archiverUrl: archiver.url,
      graphUrl: graph.url,
      stop: async () => {
        for (const c of children) c.kill('SIGTERM');
        await azurite.stop();
      },
    };
  } catch (err) {
    for (const c of children) c.kill('SIGTERM');
    await azurite.stop();
    throw err;
  }
}

/** The app's settings: the environment wins over local.settings.json, as with func start. */
function appEnv(s: StandIns, scenario: Scenario, suite: SuiteOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AzureWebJobsStorage: s.azurite.connectionString,
    ARCHIVE_CONNECTORS: Object.keys(CONNECTORS).join(','),
    GRAPH_ENDPOINT: s.graphUrl,
    FETCH_PAGE_SIZE: '5',
    FETCH_MAX_LINE_KB: '1024',
    HTTP_CONNECT_TIMEOUT_SECONDS: '3',
    HTTP_FIRST_BYTE_TIMEOUT_SECONDS: '5',
    HTTP_IDLE_TIMEOUT_SECONDS: '3',
    GRAPH_MAX_RETRY_AFTER_SECONDS: '2',
    RETRY_HORIZON_MINUTES: '1',
    // Blob events are delivered twice by the dev host itself: they go through no queue the Duplicator could watch.
    ...(scenario.duplicateDeliveries ? { [DUPLICATE_BLOB_EVENTS]: 'true' } : {}),
    ...scenario.env,
  };
  for (const [id, product] of Object.entries(CONNECTORS)) {
    const p = `CONNECTOR__${id.toUpperCase()}__`;
    Object.assign(env, {
      [`${p}PRODUCT`]: product,
      [`${p}ARCHIVER_URL`]: s.archiverUrl,
      [`${p}USERNAME`]: `faults-${id}`,
      [`${p}PASSWORD`]: 'local-simulator-only',
      [`${p}START_FROM`]: suite.startFrom.toISOString(),
    });
  }
  return env;
}

/** One `npm start -- --once --attach` in its own process group; `killAfterMs`: kill -9 the group then. */
function runApp(env: NodeJS.ProcessEnv, dataDir: string, timeoutMinutes: number, killAfterMs?: number): Promise<number | string> {
  const proc = spawn(
    process.execPath,
    [join(DIST_DEV, 'cli', 'start.js'), '--once', '--attach', '--data-dir', dataDir, '--timeout-minutes', String(timeoutMinutes), '--http-port', '0'],
    { env, detached: true, stdio: 'ignore' },
  );
  const killGroup = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return new Promise((resolve) => {
    let outcome: string | undefined;
    const hard = setTimeout(
      () => {
        outcome = 'timeout';
        killGroup();
      },
      (timeoutMinutes + 1) * 60_000,
    );
    const planned = killAfterMs === undefined ? undefined : setTimeout(() => ((outcome = 'killed'), killGroup()), killAfterMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(hard);
      if (planned) clearTimeout(planned);
      resolve(outcome ?? code ?? String(signal));
    });
  });
}

/**
 * Delivers every import job a second time, as soon as it shows in its queue: the platform's
 * at-least-once delivery, with both copies in flight at once. (Blob events: DUPLICATE_BLOB_EVENTS.)
 */
class Duplicator {
  sent = 0;
  private readonly seen = new Set<string>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly storage: StorageClients) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const watched = [queues.importJobs].map((q) => this.storage.queue.getQueueClient(q));
    // Bounded: the longest cycle the suite allows, at one sweep per 100 ms.
    for (let sweep = 0; sweep < 36_000 && !this.stopped; sweep++) {
      for (const queue of watched) {
        try {
          for (const m of (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems) {
            const key = `${queue.name}|${m.messageText}`;
            if (this.seen.has(key)) continue;
            this.seen.add(key);
            await queue.sendMessage(m.messageText);
            this.sent++;
          }
        } catch {
          // Azurite busy or the queue not there yet: the next sweep tries again.
        }
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

const MALFORMED_ITEM = 'corrupt-item-1';

/** Unreadable and invalid messages, and a raw item that is not JSON, put in before the cycle. */
async function injectMalformed(storage: StorageClients): Promise<void> {
  const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64');
  const imports = storage.queue.getQueueClient(queues.importJobs);
  await imports.sendMessage(b64('{"version":1,"connectorId":"enterprise",'));
  await imports.sendMessage(b64({ version: 1, runId: 'r1', connectorId: 'enterprise', itemId: 'climber', emlPath: 'enterprise/../../etc/passwd.eml' }));
  await imports.sendMessage(b64({ version: 1, runId: 'r1', connectorId: 'nosuch', itemId: 'orphan', emlPath: 'nosuch/2026/11/20/orphan.eml' }));
  await storage.queue.getQueueClient(queues.fetchJobs).sendMessage(b64('not a job'));
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const body = Buffer.from('{"id":"corrupt-item-1","type":"sms","timestamp":');
  await storage.blob
    .getContainerClient(containers.rawItems)
    .getBlockBlobClient(`enterprise/${day}/${MALFORMED_ITEM}.json`)
    .upload(body, body.length, { metadata: { sha256: createHash('sha256').update(body).digest('hex') } });
}

/** Each thing injected is named in the report: a failure or a poison-queue message that says what it is. */
function checkMalformedNamed(report: RunReport): string[] {
  const said = [...report.failures.map((f) => `${f.key} ${f.reason}`), ...report.poisonQueues.flatMap((q) => q.examples)].join('\n');
  const expected: [string, RegExp][] = [
    ['the unreadable import job', /unreadable message: "\{\\"version\\":1/],
    ['the import job with a ".." path', /climber/],
    ['the import job of an unknown connector', /orphan/],
    ['the unreadable fetch job', /unreadable message: "not a job"/],
    ['the corrupt raw item', new RegExp(MALFORMED_ITEM)],
  ];
  return expected.filter(([, pattern]) => !pattern.test(said)).map(([what]) => `the report does not name ${what}`);
}
