import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const appRoot = join(__dirname, '..', '..', '..');
const cli = (name: string) => join(appRoot, 'dist', 'dev', 'cli', `${name}.js`);
const COMMANDS = [
  'start',
  'start-func',
  'bench',
  'bench-fetch',
  'export-eml',
  'mapping',
  'redrive',
  'selftest',
  'faults',
  'render-messages',
  'storage-layout',
  'settings-doc',
  'operator',
];

function run(name: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [cli(name), ...args], {
    cwd: options.cwd ?? appRoot,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the command-line tools', () => {
  it('--help prints the usage on stdout, exits 0 and does nothing (no export folder, no rewritten file, no bench run)', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mac-cli-'));
    const layout = join(appRoot, 'infra', 'storage-layout.json');
    const layoutTime = statSync(layout).mtimeMs;
    try {
      for (const name of COMMANDS) {
        const r = run(name, ['--help'], { cwd });
        assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
        assert.match(r.stdout, /^usage: /, `${name} --help prints its usage on stdout`);
        assert.equal(r.stderr, '', `${name} --help writes nothing on stderr`);
        assert.doesNotMatch(r.stdout, /^(bench: one cycle|wrote |exported |storage: )/m, `${name} --help does nothing`);
      }
      assert.deepEqual(readdirSync(cwd), [], 'export-eml --help exported nothing');
      assert.equal(statSync(layout).mtimeMs, layoutTime, 'infra:layout --help did not rewrite the file');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('unknown options and stray arguments are refused with exit 2 before anything is done', () => {
    for (const name of COMMANDS.filter((c) => c !== 'start-func')) {
      const r = run(name, ['--no-such-option']);
      assert.equal(r.code, 2, `${name} --no-such-option: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /usage: /);
      assert.doesNotMatch(r.stderr, /storage: /, `${name} touched no storage`);
    }
    assert.equal(run('bench', ['--items', 'many']).code, 2);
    assert.equal(run('storage-layout', ['extra']).code, 2);
    assert.equal(run('mapping', ['remove', 'enterprise']).code, 2);
  });

  it('an unknown connector is refused (exit 2, naming the configured ones) instead of answering "no unmapped items"', () => {
    const r = run('redrive', ['--unmapped', 'nosuch']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /unknown connector "nosuch"; configured \(ARCHIVE_CONNECTORS\): enterprise/);
    assert.doesNotMatch(r.stdout, /no unmapped items/);
    const m = run('mapping', ['show', 'nosuch']);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /unknown connector "nosuch"/);
  });

  it('mobile-archive: one tool whose subcommands each take --help; unknown commands exit 2', () => {
    const top = run('mobile-archive', ['--help']);
    assert.equal(top.code, 0);
    for (const sub of ['status', 'runs', 'items', 'unmapped', 'failures', 'redrive', 'mapping', 'test-connection', 'selftest', 'export-eml', 'bench'])
      assert.match(top.stdout, new RegExp(`^  ${sub} `, 'm'), `lists ${sub}`);
    for (const sub of ['status', 'items', 'failures', 'redrive', 'mapping', 'bench']) {
      const r = run('mobile-archive', [sub, '--help']);
      assert.equal(r.code, 0, `${sub} --help: ${r.stderr}`);
      assert.match(r.stdout, /^usage: /);
      assert.equal(r.stderr, '');
    }
    assert.equal(run('mobile-archive', ['nosuch']).code, 2);
    assert.equal(run('mobile-archive', ['status', 'extra']).code, 2);
    assert.equal(run('mobile-archive', ['items', '--outcome']).code, 2);
    const unknown = run('mobile-archive', ['failures', '--connector', 'nosuch']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown connector "nosuch"/);
  });

  it('asked for Azure, a command says which account it acts on and never falls back to the local connection string', () => {
    // The trap of docs/deploy.md: the Azure addresses in the environment, a local connection string
    // in local.settings.json. No Azure sign-in is possible here, so the command must fail, not act locally.
    const env = {
      ...process.env,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AZURE_TOKEN_CREDENTIALS: 'dev',
      AZURE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'mac-az-')),
    };
    const r = run('redrive', ['--unmapped', 'enterprise', '--target', 'azure', '--account', 'macbankprod01'], { env });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^storage: Azure storage account "macbankprod01" \(https:\/\/macbankprod01\.blob\.core\.windows\.net\)/);
    assert.doesNotMatch(r.stderr + r.stdout, /Azurite|no unmapped items/);
    assert.equal(run('redrive', ['--unmapped', 'enterprise', '--target', 'azure']).code, 2, 'Azure needs the account named');
    assert.equal(run('redrive', ['--unmapped', 'enterprise', '--account', 'macbankprod01']).code, 2, '--account without --target azure is refused');
    assert.equal(run('export-eml', ['out', '--target', 'cloud']).code, 2);
    assert.equal(existsSync(join(appRoot, 'out')), false);
  });
});
