/**
 * The operator's story end to end, through the real entry points: a mailbox whose every Graph
 * request fails, `npm start -- --once` (exit 1, every failed copy named in the report), the status
 * page in headless Chromium (its counts equal the report's; its Re-drive button re-drives) and the
 * operator API, then, with the fault gone, `redrive --failed` and a last cycle: each missing copy
 * imported exactly once. Screenshots go to .local/screenshots/ for a person to look at.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionStringFor, type AzuritePorts } from '../../dev/stack/azurite';
import type { RunReport } from '../../dev/stack/run-report';
import { findChromium, QUIET_FLAGS } from '../../dev/render/chromium';
import { importItemId, importMailbox } from '../../shared/runs/run-status';
import { freePort } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

const appRoot = join(__dirname, '..', '..', '..');
const cli = (name: string) => join(appRoot, 'dist', 'dev', 'cli', name);
/** Olivia Bennett's UPN in the Graph simulator's directory (her mail address is olivia.bennett@contoso.example). */
const FAILING = 'olivia.bennett@contoso.onmicrosoft.example';
/** A copy is named by the mailbox it was for: her UPN, or the address that was being looked up when the look-up failed. */
const HERS = [FAILING, 'olivia.bennett@contoso.example'];
const CONNECTORS = ['enterprise', 'o2', 'whatsapp'];
/** Later sessions' windows end before the first one's: they find nothing new, so the failed run stays each connector's last. */
const noNewWindow = { FETCH_SAFETY_LAG_MINUTES: '180' };

describe('operator: a failing mailbox, seen on the report and the status page, re-driven exactly once', () => {
  let dataDir: string;
  let ports: AzuritePorts;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mac-operator-'));
    ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
    const simUrl = `http://127.0.0.1:${await freePort()}`;
    env = {
      ...process.env,
      AzureWebJobsStorage: connectionStringFor(ports),
      ARCHIVE_CONNECTORS: CONNECTORS.join(','),
      // Far in the future: only the cycle npm start runs at once happens during the test.
      ARCHIVE_SCHEDULE: '0 0 0 1 1 *',
      GRAPH_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      ...Object.fromEntries(CONNECTORS.map((c) => [`CONNECTOR__${c.toUpperCase()}__ARCHIVER_URL`, simUrl])),
      ARCHIVER_SIM_ITEMS_PER_DAY: '12',
      ARCHIVER_SIM_LARGE_ATTACHMENT_MB: '0',
      ARCHIVER_SIM_FAULTS: '',
      // Give up on the failing mailbox within the test: quick host retries, a one-minute horizon.
      RETRY_HORIZON_MINUTES: '1',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
    };
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = (script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [cli(script), ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  const report = () => JSON.parse(readFileSync(join(dataDir, 'last-run.json'), 'utf8')) as RunReport;

  it('ends with exit 1 naming every failed copy, shows them on the page, and re-drives each exactly once', { timeout: 20 * 60_000 }, async (t) => {
    // 1. The failing mailbox: npm start -- --once fails, and says what failed.
    const first = await run('start.js', ['--once', '--data-dir', dataDir, '--http-port', '0'], { GRAPH_SIM_FAULTS: `failUsers=${FAILING}` });
    assert.equal(first.code, 1, first.output);
    const failed = report();
    assert.equal(failed.ok, false);
    const copies = failed.failures.filter((f) => f.stage === 'import');
    assert.ok(copies.length > 0, `copies failed: ${first.output}`);
    for (const f of copies) {
      assert.ok(CONNECTORS.includes(f.connectorId), JSON.stringify(f));
      const mailbox = importMailbox(f.key)!;
      assert.ok(HERS.includes(mailbox), `each failed copy names its mailbox: ${JSON.stringify(f)}`);
      assert.match(f.reason, /^import-failed: .+/, 'with its reason');
      assert.ok(first.output.includes(`item ${importItemId(f.key)}, mailbox ${mailbox}`), `the terminal names it: ${f.key}`);
    }
    const runId = failed.runs.find((r) => Object.keys(r.connectors).length > 0)!.runId;
    for (const [id, c] of Object.entries(failed.connectors)) {
      const expected = copies.filter((f) => f.connectorId === id).length;
      assert.equal(c.failed, expected, `${id}: the failed column counts its failed copies`);
    }

    // 2. The fault is gone; the app runs on its schedule and serves the status page.
    const serving = spawn(process.execPath, [cli('start.js'), '--data-dir', dataDir, '--http-port', '0'], {
      env: { ...env, ...noNewWindow },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serving);
    let out = '';
    serving.stdout.on('data', (c: Buffer) => (out += c.toString()));
    serving.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitUntil('the status page is announced and the cycle is over', async () => /running on schedule/.test(out), 5 * 60_000);
      const base = /status page: (http:\/\/127\.0\.0\.1:\d+)\/api\/status/.exec(out)?.[1];
      assert.ok(base, out);
      const api = async (path: string, init?: RequestInit) => {
        const r = await fetch(`${base}/api/operator/${path}`, init);
        assert.ok(r.ok, `${path}: ${r.status} ${await r.clone().text()}`);
        return r;
      };
      // The API lists each failed copy with connector, item, mailbox and reason.
      const listed = (await (await api('failures')).json()) as {
        failures: { connectorId: string; itemId: string; mailbox: string; reason: string; key: string }[];
      };
      assert.deepEqual(listed.failures.map((f) => `${f.connectorId}|${f.key}`).sort(), copies.map((f) => `${f.connectorId}|${f.key}`).sort());
      for (const f of listed.failures) assert.ok(f.itemId && HERS.includes(f.mailbox) && f.reason.startsWith('import-failed'), JSON.stringify(f));
      // The admin log of the failed run: one row per copy, the failed ones with their reason.
      const csv = await (await api(`runs/${encodeURIComponent(runId)}/log.csv?connector=${copies[0].connectorId}`)).text();
      assert.match(csv.split('\r\n')[0], /^run,connector,stage,item,mailbox,outcome,reason,recorded_at$/);
      const failedRows = csv.split('\r\n').filter((l) => l.includes(',import,') && l.includes(',failed,'));
      assert.equal(failedRows.length, copies.filter((f) => f.connectorId === copies[0].connectorId).length, csv);
      for (const row of failedRows)
        assert.ok(
          HERS.some((mb) => row.includes(`,${mb},failed,"import-failed: `)),
          row,
        );

      const chromium = findChromium();
      const redriveBy = chromium ? copies[0].connectorId : undefined;
      if (!chromium) t.diagnostic('SKIPPED the browser part: Chromium is not installed (apt-get install chromium); the API was checked instead');
      else {
        const { chromium: playwright } = await import('playwright-core');
        const browser = await playwright.launch({
          executablePath: chromium,
          args: [...QUIET_FLAGS],
        });
        try {
          const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
          const shots = join(appRoot, '.local', 'screenshots');
          mkdirSync(shots, { recursive: true });
          await page.goto(`${base}/api/status`);
          await page.waitForSelector('#connectors tbody tr');
          await page.waitForSelector('#failures tbody tr');
          await page.screenshot({ path: join(shots, 'status-page-failures.png'), fullPage: true });
          // The counts shown for each connector are the report's (the failed run is each one's last run).
          for (const id of CONNECTORS) {
            const cells = await page.locator(`#connectors tr[data-connector="${id}"] td`).allTextContents();
            const c = failed.connectors[id];
            assert.deepEqual(cells.slice(4, 8).map(Number), [c.fetched, c.converted, c.itemsImported, c.copies], `${id}: ${cells.join(' | ')}`);
            assert.equal(Number(cells[9]), c.failed, `${id}: failed`);
          }
          const rows = await page.locator('#failures tbody tr').count();
          assert.equal(rows, copies.length, 'every failed copy is on the page');
          // The button re-drives that connector's failed copies.
          await page.locator(`#connectors tr[data-connector="${redriveBy}"] button[data-action="redrive-failed"]`).click();
          await page.locator('#message', { hasText: `${redriveBy}: queued` }).waitFor();
          await waitUntil(
            'the re-driven copies are imported',
            async () => {
              const now = (await (await api(`failures?connector=${redriveBy}`)).json()) as { failures: unknown[] };
              return now.failures.length === 0;
            },
            3 * 60_000,
          );
          await page.reload();
          await page.waitForSelector('#connectors tbody tr');
          await page.screenshot({ path: join(shots, 'status-page-after-redrive.png'), fullPage: true });
          t.diagnostic(`screenshots in ${shots}`);
        } finally {
          await browser.close();
        }
      }
      // 3. The rest with the command line, against the running stack's storage.
      for (const id of [...new Set(copies.map((f) => f.connectorId))].filter((c) => c !== redriveBy)) {
        const r = spawnSync(process.execPath, [cli('mobile-archive.js'), 'redrive', '--failed', id, '--json', '--data-dir', dataDir], {
          env,
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
        const answer = JSON.parse(r.stdout) as { kind: string; connectorId: string; queued: Record<string, number> };
        assert.equal(answer.connectorId, id);
        assert.ok((answer.queued['import-jobs'] ?? 0) > 0, r.stdout);
      }
      await waitUntil(
        'every re-driven copy is imported',
        async () => ((await (await api('failures')).json()) as { failures: unknown[] }).failures.length === 0,
        3 * 60_000,
      );
    } finally {
      serving.kill('SIGINT');
      await new Promise((resolve) => serving.once('exit', resolve));
    }

    // 4. A last cycle audits every mailbox against the ledger: no copy twice, none missing.
    const last = await run('start.js', ['--once', '--data-dir', dataDir, '--http-port', '0'], noNewWindow);
    assert.equal(last.code, 0, last.output);
    const final = report();
    assert.equal(final.ok, true, JSON.stringify(final.failures));
    assert.deepEqual(final.audit?.duplicates, []);
    assert.deepEqual(final.audit?.gaps, []);
    // The earlier run now counts the re-driven copies as its own, not the new window's.
    const earlier = final.runs.find((r) => r.runId === runId);
    if (earlier) assert.equal(earlier.earlier, true);
    const failures = spawnSync(process.execPath, [cli('mobile-archive.js'), 'failures', '--data-dir', dataDir], { env, encoding: 'utf8' });
    assert.equal(failures.status, 0, `failures: none left: ${failures.stdout}${failures.stderr}`);
    const runs = spawnSync(process.execPath, [cli('mobile-archive.js'), 'runs', '--json', '--data-dir', dataDir], { env, encoding: 'utf8' });
    const json = JSON.parse(runs.stdout) as { runs: { runId: string; connectors: { failed: number; copies: number }[] }[] };
    const then = json.runs.find((r) => r.runId === runId)!;
    const total = (r: RunReport['connectors']) => Object.values(r).reduce((n, c) => n + c.copies, 0);
    assert.equal(
      then.connectors.reduce((n, c) => n + c.copies, 0),
      total(failed.connectors) + copies.length,
      'the failed run now has every copy: the ones imported then and the re-driven ones, once each',
    );
    assert.ok(then.connectors.every((c) => c.failed === 0));
  });
});
