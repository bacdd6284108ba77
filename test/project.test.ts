import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readHostConfig } from '../dev/stack/host/host-config';
import { QUEUE_MESSAGE_ENCODING } from '../shared/storage/queue-messages';
import { MAX_DEQUEUE } from '../shared/runs/back-off';
import { appSettingDeclarations } from '../shared/config/app-settings';
import { connectorSettingDeclarations } from '../shared/config/connector-settings';
import { renderSettingsDoc, SETTINGS_DOC } from '../dev/cli/settings-doc';

const root = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; main: string; engines: { node: string } };

describe('project wiring', () => {
  it('the app encodes queue messages the way host.json tells the Functions host to decode them', () => {
    assert.equal(readHostConfig(join(root, 'host.json')).queues.messageEncoding, QUEUE_MESSAGE_ENCODING);
  });

  it('the importer dead-letters a failing copy on the delivery host.json makes the last', () => {
    assert.equal(readHostConfig(join(root, 'host.json')).queues.maxDequeueCount, MAX_DEQUEUE);
  });

  it('host.json targets Functions 2.0 with the v4 extension bundle', () => {
    const host = JSON.parse(read('host.json')) as { version: string; extensionBundle: { id: string; version: string } };
    assert.equal(host.version, '2.0');
    assert.deepEqual(host.extensionBundle, { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  });

  it('every npm command the README shows exists, and CI runs the README test command', () => {
    const readme = read('README.md');
    for (const m of readme.matchAll(/npm run ([\w:-]+)/g)) assert.ok(pkg.scripts[m[1]], `README uses missing script ${m[1]}`);
    assert.match(readme, /npm ci && npm start -- --once/);
    assert.match(readme, /^npm test\b/m);
    assert.match(read('.ci/run'), /^npm test$/m);
  });

  it('package.json main points the Functions host at the compiled functions', () => {
    assert.equal(pkg.main, 'dist/functions/*.js');
  });

  it('runs on Node 22 (Node 20 is end of life), and an install refuses dependencies whose engines do not fit', () => {
    assert.equal(pkg.engines.node, '>=22.15', 'require(esm) is stable from 22.12; the dev host uses module.registerHooks, in 22.15');
    assert.equal(Number(process.versions.node.split('.')[0]), 22, `the tests run on Node ${process.versions.node}`);
    assert.match(read('.npmrc'), /^engine-strict=true$/m);
    const ci = read('.ci/run');
    assert.ok(
      ci.indexOf('source dev/use-node22.sh') >= 0 && ci.indexOf('source dev/use-node22.sh') < ci.indexOf('npm ci'),
      '.ci/run puts Node 22 first before installing',
    );
    assert.match(read('README.md'), /Node\.js 22/);
  });

  it('docs/configuration.md shows every declared setting with its declared default', () => {
    const doc = read(SETTINGS_DOC);
    assert.equal(doc, renderSettingsDoc(doc), `${SETTINGS_DOC} is stale: npm run docs:settings`);
    for (const d of appSettingDeclarations) assert.ok(doc.includes(`| \`${d.name}\` |`), `${d.name} is not documented`);
    for (const d of connectorSettingDeclarations) assert.ok(doc.includes(`| \`CONNECTOR__<ID>__${d.name}\` |`), `CONNECTOR__<ID>__${d.name} is not documented`);
  });

  it('npm test lints first; the unit lane holds only tests that start no storage, simulator or process', () => {
    assert.match(pkg.scripts.test, /^npm run -s lint && npm run -s build && /);
    assert.match(pkg.scripts['test:unit'], /run\.js --unit$/);
    assert.match(pkg.scripts['test:live'], /run\.js --live$/);
    assert.match(read('README.md'), /`\*\.integration\.test\.ts`/);
    const testFiles = (dir: string): string[] =>
      readdirSync(join(root, dir)).flatMap((name) => {
        const path = `${dir}/${name}`;
        if (statSync(join(root, path)).isDirectory()) return name === 'fixtures' ? [] : testFiles(path);
        return name.endsWith('.test.ts') ? [path] : [];
      });
    // (This file names the helpers it looks for, so it is not read.)
    // Live tests run only with --live (npm run test:live), never in the unit lane.
    const units = testFiles('test').filter((f) => !f.endsWith('.integration.test.ts') && !f.endsWith('.live.test.ts') && f !== 'test/project.test.ts');
    assert.ok(units.length >= 10, `${units.length} unit test files`);
    for (const file of units) {
      assert.doesNotMatch(
        read(file),
        /startTestStorage|startAzurite|startArchiverSimulator|startGraphSimulator|fetch-fixture|import-fixture|child_process/,
        `${file} needs a server: name it *.integration.test.ts`,
      );
    }
  });
});
