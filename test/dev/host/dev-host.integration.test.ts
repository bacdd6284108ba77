import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DevHost, loadFunctions } from '../../../dev/stack/host/dev-host';
import { readHostConfig } from '../../../dev/stack/host/host-config';
import { encodeQueueMessage } from '../../../shared/storage/queue-messages';
import { devHost as devHostNames } from '../../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { waitUntil } from '../../helpers/wait';

const appRoot = join(__dirname, '..', '..', '..', '..');
const fixtureFile = join(__dirname, '..', '..', 'fixtures', 'functions', 'triggers.js');
// Loaded through the dev host so @azure/functions registers into it; read the shared call log after.
const registered = loadFunctions([fixtureFile]);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { calls } = require(fixtureFile) as typeof import('../../fixtures/functions/triggers');
const hostJson = readHostConfig(join(appRoot, 'host.json'));

describe('dev host', () => {
  let ts: TestStorage;
  let env: Record<string, string>;
  const logs: string[] = [];
  const newHost = (functions: string[]) =>
    new DevHost(registered, {
      appRoot,
      env,
      functions,
      log: (level, fn, message) => logs.push(`${level} ${fn} ${message}`),
      // Retry at once and poll fast, so the test is quick; maxDequeueCount stays host.json's.
      hostConfig: { visibilityTimeoutMs: 0, maxPollingIntervalMs: 200 },
      blobScanIntervalMs: 100,
    });

  before(async () => {
    ts = await startTestStorage();
    env = { AzureWebJobsStorage: ts.connectionString, TEST_ECHO_QUEUE: 'test-echo', TEST_TIMER_SCHEDULE: '* * * * * *' };
    await Promise.all(
      ['test-always-fails', 'test-always-fails-poison', 'test-echo', 'test-echo-poison'].map((q) => ts.storage.queue.getQueueClient(q).createIfNotExists()),
    );
    await ts.storage.blob.getContainerClient('test-blobs').createIfNotExists();
  });
  after(() => ts.stop());

  it('moves a message whose handler always throws to <queue>-poison after maxDequeueCount attempts, content intact', async () => {
    const host = newHost(['alwaysFails']);
    const original = { hello: 'wörld', n: 42 };
    const text = encodeQueueMessage(original);
    await ts.storage.queue.getQueueClient('test-always-fails').sendMessage(text);
    await host.start();
    try {
      const poison = ts.storage.queue.getQueueClient('test-always-fails-poison');
      await waitUntil('the message is in the poison queue', async () => (await poison.peekMessages()).peekedMessageItems.length > 0);
      const [message] = (await poison.receiveMessages()).receivedMessageItems;
      assert.equal(message.messageText, text, 'poison message keeps the original text');
      assert.equal(calls.alwaysFails.length, hostJson.queues.maxDequeueCount);
      assert.deepEqual(
        calls.alwaysFails.map((c) => c.dequeueCount),
        Array.from({ length: hostJson.queues.maxDequeueCount }, (_, i) => i + 1),
      );
      assert.deepEqual(calls.alwaysFails[0].body, original, 'handler gets the decoded JSON');
      const source = await ts.storage.queue.getQueueClient('test-always-fails').getProperties();
      assert.equal(source.approximateMessagesCount, 0);
    } finally {
      await host.stop();
    }
  });

  it('resolves %Setting% in a queue name and runs a batch concurrently', async () => {
    const host = newHost(['echo']);
    const queue = ts.storage.queue.getQueueClient('test-echo');
    for (let i = 0; i < 20; i++) await queue.sendMessage(encodeQueueMessage({ i }));
    await host.start();
    try {
      await host.waitForIdle({ timeoutMs: 15_000 });
      assert.deepEqual(
        calls.echo.map((b) => (b as { i: number }).i).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i),
      );
    } finally {
      await host.stop();
    }
  });

  it('fires a timer whose schedule is a %Setting% reference', async () => {
    const host = newHost(['everySecond']);
    await host.start();
    try {
      await waitUntil('the timer fired twice', () => calls.timer.length >= 2, 5000);
      assert.equal(calls.timer[0].isPastDue, false);
      assert.ok(Date.parse(calls.timer[0].scheduleStatus.next) > Date.parse(calls.timer[0].scheduleStatus.last));
    } finally {
      await host.stop();
    }
  });

  it('rejects a timer whose %Setting% is not set, naming the setting', async () => {
    const host = new DevHost(registered, { appRoot, env: { AzureWebJobsStorage: ts.connectionString }, functions: ['everySecond'], log: () => undefined });
    await assert.rejects(host.start(), /TEST_TIMER_SCHEDULE/);
  });

  it('triggers a blob function exactly once per new blob, also after a restart', async () => {
    const container = ts.storage.blob.getContainerClient('test-blobs');
    await container.getBlockBlobClient('a/first.txt').upload('one', 3);
    let host = newHost(['blobSeen']);
    await host.start();
    try {
      await host.waitForIdle({ timeoutMs: 15_000 });
      assert.deepEqual(
        calls.blob.map((b) => [b.name, b.content, b.blobTrigger]),
        [['a/first.txt', 'one', 'test-blobs/a/first.txt']],
      );
    } finally {
      await host.stop();
    }

    // Written while the host is down: must fire once after the restart; the old one must not fire again.
    await container.getBlockBlobClient('b/second.txt').upload('two', 3);
    host = newHost(['blobSeen']);
    await host.start();
    try {
      await host.waitForIdle({ timeoutMs: 15_000 });
      await container.getBlockBlobClient('c/third.txt').upload('three', 5);
      await waitUntil('the third blob fired', () => calls.blob.length >= 3);
      await host.waitForIdle({ timeoutMs: 15_000 });
      assert.deepEqual(calls.blob.map((b) => b.name).sort(), ['a/first.txt', 'b/second.txt', 'c/third.txt']);
      const poison = await ts.storage.queue.getQueueClient(devHostNames.blobTriggerPoison).getProperties();
      assert.equal(poison.approximateMessagesCount, 0);
    } finally {
      await host.stop();
    }
  });

  it('fires for a blob written in its own process at once, as an Event Grid notification would, not at the next scan', async () => {
    const container = ts.storage.blob.getContainerClient('test-blobs');
    const host = new DevHost(registered, { appRoot, env, functions: ['blobSeen'], log: () => undefined, blobScanIntervalMs: 600_000 });
    await host.start();
    try {
      await host.waitForIdle({ timeoutMs: 15_000 });
      const before = calls.blob.length;
      const started = Date.now();
      // Put Blob and a staged-then-committed blob (Put Block List) are both creations; a staged block alone is not.
      await container.getBlockBlobClient('n/put.txt').upload('put', 3);
      await container.getBlockBlobClient('n/blocks.txt').uploadData(Buffer.alloc(300_000, 1), { blockSize: 100_000, maxSingleShotSize: 0 });
      await container.getBlockBlobClient('n/staged-only.txt').stageBlock(Buffer.from('0001').toString('base64'), 'x', 1);
      await waitUntil('both writes fired', () => calls.blob.slice(before).length >= 2, 10_000);
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(
        calls.blob
          .slice(before)
          .map((b) => b.name)
          .sort(),
        ['n/blocks.txt', 'n/put.txt'],
      );
    } finally {
      await host.stop();
    }
  });
});
