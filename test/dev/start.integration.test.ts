import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { connectionStringFor, startAzurite, type AzuritePorts } from '../../dev/stack/azurite';
import { SeededItemSource } from '../../dev/stack/archiver-sim/item-source';
import { simulatorOptionsSchema } from '../../dev/stack/archiver-sim/options';
import type { RunReport } from '../../dev/stack/run-report';
import { SimStore } from '../../dev/stack/graph-sim/store';
import { containers, queues } from '../../shared/storage/names';
import { freePort } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

const appRoot = join(__dirname, '..', '..', '..');
const startScript = join(appRoot, 'dist', 'dev', 'cli', 'start.js');
const PRODUCTS: Record<string, string> = { enterprise: 'enterprise-number', o2: 'o2-network', whatsapp: 'whatsapp' };

describe('npm start (the real entry point)', () => {
  let dataDir: string;
  let ports: AzuritePorts;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mac-start-'));
    ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
    const simUrl = `http://127.0.0.1:${await freePort()}`;
    // The environment wins over local.settings.json, as with func start.
    env = {
      ...process.env,
      AzureWebJobsStorage: connectionStringFor(ports),
      ARCHIVE_CONNECTORS: 'enterprise,o2,whatsapp',
      CONNECTOR__ENTERPRISE__ARCHIVER_URL: simUrl,
      CONNECTOR__O2__ARCHIVER_URL: simUrl,
      CONNECTOR__WHATSAPP__ARCHIVER_URL: simUrl,
      ARCHIVER_SIM_ITEMS_PER_DAY: '30',
      ARCHIVER_SIM_LARGE_ATTACHMENT_MB: '0',
      // Slow answers, so the first session is surely mid-fetch when it is killed.
      ARCHIVER_SIM_FAULTS: 'slowRate=1,slowMs=150',
      FETCH_PAGE_SIZE: '4',
      // The claims the killed session left are taken over when their lease runs out (15 minutes by default).
      IMPORT_CLAIM_LEASE_SECONDS: '20',
    };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('killed mid-cycle and started again, it loses no fetch window and stores each item once', async () => {
    const first = spawn(process.execPath, [startScript, '--data-dir', dataDir, '--http-port', '0'], { env, stdio: 'ignore' });
    try {
      const blobs = BlobServiceClient.fromConnectionString(connectionStringFor(ports)).getContainerClient(containers.rawItems);
      await waitUntil(
        'the first session has stored some items',
        async () => {
          try {
            let n = 0;
            for await (const _ of blobs.listBlobsFlat()) n++;
            return n >= 5;
          } catch {
            return false;
          }
        },
        60_000,
      );
    } finally {
      await kill(first);
    }

    const second = spawn(process.execPath, [startScript, '--once', '--data-dir', dataDir, '--http-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    second.stdout.on('data', (c: Buffer) => (output += c.toString()));
    second.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    assert.equal(code, 0, output);

    const report = JSON.parse(readFileSync(join(dataDir, 'last-run.json'), 'utf8')) as RunReport;
    assert.equal(report.ok, true);

    // What landed in the simulated mailboxes: each reported copy once, received (not a draft), in its connector's folder.
    const state = SimStore.load(join(dataDir, 'graph-sim', 'state'));
    const landed = [...state.mailboxes.values()].flatMap((mb) =>
      [...mb.messages.values()].map((m) => ({ ...m, folder: mb.folders.get(m.folderId)?.displayName })),
    );
    // The run the first session started is finished by the second: its copies are that run's, reported under `runs`.
    const imported = report.runs.flatMap((r) => Object.values(r.connectors)).reduce((n, c) => n + c.copies, 0);
    assert.ok(imported > 0, output);
    assert.equal(landed.length, imported, 'one message per reported mailbox copy');
    assert.ok(
      landed.every((m) => !m.isDraft),
      'no drafts',
    );
    const folders = { enterprise: 'Enterprise Number Archiver', o2: 'O2 SMS and Voice Network Archiver', whatsapp: 'WhatsApp Archiver' } as Record<
      string,
      string
    >;
    for (const m of landed) {
      const connector = m.singleValueExtendedProperties.find((p) => /^(enterprise|o2|whatsapp):/.test(p.value))!.value.split(':')[0];
      assert.equal(m.folder, folders[connector]);
    }
    const keys = landed.map((m) => `${m.folderId}|${m.singleValueExtendedProperties.map((p) => p.value).join()}`);
    assert.equal(new Set(keys).size, keys.length, 'no item twice in a mailbox');
    for (const items of Object.values(report.unmapped))
      for (const u of items) assert.ok(u.reasons.length > 0 && u.reasons.every((r) => r.length > 0), 'unmapped items carry reasons');
    const azurite = await startAzurite({ ports, location: join(dataDir, 'azurite') });
    try {
      const source = new SeededItemSource({ seed: simulatorOptionsSchema.parse({}).seed, itemsPerDay: 30, largeAttachmentBytes: 0 });
      const blobService = BlobServiceClient.fromConnectionString(azurite.connectionString);
      for (const [connectorId, product] of Object.entries(PRODUCTS)) {
        // The window the killed session started is finished in its own run; this session's scheduler
        // saw it in flight, or fetched what came after it.
        const entries = report.runs.flatMap((r) => r.connectors[connectorId] ?? []);
        const done = entries.filter((e) => e.state === 'done');
        assert.ok(
          done.length > 0 && entries.every((e) => e.state === 'done' || (e.state === 'in-flight-elsewhere' && done.some((d) => d.windowFrom === e.windowFrom))),
          `${connectorId}: every window's items have their outcome, so its run reads done: ${JSON.stringify(entries)}`,
        );
        const expected = (await Promise.all(done.map((d) => source.listWindow(product, new Date(d.windowFrom!), new Date(d.windowTo!))))).flat();
        assert.equal(
          done.reduce((n, d) => n + d.fetched, 0),
          expected.length,
          `${connectorId} report counts each item once`,
        );
        const stored: string[] = [];
        const container = blobService.getContainerClient(containers.rawItems);
        for await (const b of container.listBlobsFlat({ prefix: `${connectorId}/` })) {
          stored.push(
            createHash('sha256')
              .update(await container.getBlobClient(b.name).downloadToBuffer())
              .digest('hex'),
          );
        }
        const hash = (s: string) => createHash('sha256').update(s).digest('hex');
        assert.deepEqual(stored.sort(), expected.map((i) => hash(i.line)).sort(), `${connectorId}: exactly the window's items`);
      }
      // Exactly one .eml per raw item.
      const names = async (container: string, suffix: RegExp) => {
        const out: string[] = [];
        for await (const b of blobService.getContainerClient(container).listBlobsFlat()) out.push(b.name.replace(suffix, ''));
        return out.sort();
      };
      assert.deepEqual(await names(containers.mime, /\.eml$/), await names(containers.rawItems, /\.json$/));
      // npm run export:eml writes the same set of messages to a folder.
      const exportDir = join(dataDir, 'export');
      const exported = spawnSync(process.execPath, [join(appRoot, 'dist', 'dev', 'cli', 'export-eml.js'), exportDir, '--data-dir', dataDir], {
        env,
        encoding: 'utf8',
      });
      assert.equal(exported.status, 0, exported.stderr);
      const emlCount = (await names(containers.mime, /\.eml$/)).length;
      assert.match(exported.stdout, new RegExp(`exported ${emlCount} message`));
      assert.equal(readdirSync(exportDir, { recursive: true }).filter((f) => String(f).endsWith('.eml')).length, emlCount);
      const poison = await QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(queues.fetchJobsPoison).getProperties();
      assert.equal(poison.approximateMessagesCount, 0);
    } finally {
      await azurite.stop();
    }
  });

  it('Ctrl-C mid-cycle stops the app before Azurite: no connection errors, no stack trace', async () => {
    // A terminal's Ctrl-C sends SIGINT to the whole foreground process group.
    const child = spawn(process.execPath, [startScript, '--data-dir', dataDir, '--http-port', '0'], {
      env: { ...env, ARCHIVER_SIM_FAULTS: 'slowRate=1,slowMs=300' },
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntil('the cycle is running', () => output.includes('running one archive cycle'), 60_000);
      process.kill(-child.pid!, 'SIGINT');
      const code = await exited;
      assert.match(output, /stopping \(Ctrl-C\)/);
      assert.doesNotMatch(output, /ECONNREFUSED|ECONNRESET|socket hang up|\n\s+at /, 'nothing failed because storage went away');
      assert.notEqual(code, null, 'it exited by itself, not killed by the signal');
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => setTimeout(resolve, 500)); // let its Azurite notice and go
    child.kill('SIGKILL');
  });
}
