/**
 * The importer against the places where the real Microsoft Graph differs from a kind simulator:
 * attachment sizes, RBAC scope and mailbox-less users, the message size limit, a folder moved to
 * Deleted Items, aliases, provenance on the copy, and duplicate deliveries racing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fixtureItems, patternBytes, withAttachments, type FixtureItem } from '../../fixtures/items';
import { convertFixture, runImport, startImportFixture, type ImportFixture } from '../../helpers/import-fixture';
import { importItem, type ImportResult } from '../../../shared/importing/import-item';
import { GraphCache } from '../../../shared/importing/graph-cache';
import { CLAIM_LEASE_MS, ImportLedger } from '../../../shared/importing/ledger';
import {
  CONVERSATION_INDEX_PROPERTY,
  DEDUP_PROPERTY_ID,
  MESSAGE_CLASS_PROPERTY,
  NAMED_PROPERTIES,
  PROPERTY_SET,
} from '../../../shared/importing/message-payload';
import { containers, tables } from '../../../shared/storage/names';
import { readItemMessage } from '../../../shared/mime/read-message';
import type { ImportJob } from '../../../shared/jobs/import-job';
import type { StoredMessage } from '../../../dev/stack/graph-sim/store';
import type { MailboxApi } from '../../../shared/graph/mailbox-api';
import { BUDGET_BUSY } from '../../../shared/graph/mailbox-budget';
import { HttpError } from '../../../shared/http/http-error';

const OLIVIA = 'olivia.bennett@contoso.onmicrosoft.example';
const OMAR = 'omar.haddad@contoso.onmicrosoft.example';
const WEI = 'wei.chen@contoso.onmicrosoft.example';
const FOLDER = 'Enterprise Number Archiver';

let n = 0;
function item(type: string, change: (raw: Record<string, unknown>) => void = () => undefined): FixtureItem & { raw: { id: string } } {
  const f = structuredClone(fixtureItems.find((x) => x.raw.type === type && x.product === 'enterprise-number')!) as FixtureItem & { raw: { id: string } };
  f.raw.id = `${f.raw.id}-g${++n}`;
  change(f.raw);
  return f;
}

/** Gives an item attachments of these sizes (deterministic bytes), replacing its own. */
function withSizes(f: FixtureItem & { raw: { id: string } }, sizes: number[]): typeof f {
  return withAttachments(
    f,
    sizes.map((size, i) => ({ id: `a${i + 1}`, name: `file-${i + 1}.bin`, contentType: 'application/octet-stream', content: patternBytes(size, i) })),
  );
}

const copiesOf = (f: ImportFixture, upn: string, itemId: string, folder = FOLDER): StoredMessage[] =>
  f.graph.messagesOf(upn, folder).filter((m) => m.singleValueExtendedProperties.some((p) => p.id === DEDUP_PROPERTY_ID && p.value.endsWith(`:${itemId}`)));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const createRequests = (f: ImportFixture) =>
  Object.entries(f.graph.requests.byRoute)
    .filter(([k]) => k.startsWith('POST') && k.endsWith('/messages$'))
    .reduce((total, [, count]) => total + count, 0);

/** Look-ups in a folder (GET .../mailFolders/{}/messages?$filter=...), as a copy's existence is asked. */
const messageQueries = (f: ImportFixture) =>
  Object.entries(f.graph.requests.byRoute)
    .filter(([k]) => k.startsWith('GET') && k.endsWith('/messages$'))
    .reduce((total, [, count]) => total + count, 0);

describe('importer against the documented Graph (Azurite + strict simulator)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startImportFixture({ retryAfterSeconds: 0 });
  });
  after(() => f.stop());

  /** The ledger row of a copy, as a crashed or interrupted delivery would have left it. */
  async function leaveClaim(job: ImportJob, upn: string, row: Record<string, unknown>) {
    const user = f.graph.users.find((u) => u.userPrincipalName === upn)!;
    await f.services.storage
      .table(tables.importLedger)
      .upsertEntity({ partitionKey: ImportLedger.partition(job.connectorId, job.itemId), rowKey: user.id, ...row }, 'Replace');
  }

  it('defect 1: a copy retried after its message was created gets no attachment twice (identity by content id, not Graph size)', async () => {
    // One attachment rides in the create, one is posted after it, one goes through an upload session.
    const mms = withSizes(item('mms'), [20_000, 2_500_000, 3_300_000]);
    const job = await convertFixture(f, mms);
    await runImport(f, job);
    const [first] = copiesOf(f, OLIVIA, mms.raw.id);
    assert.equal(first.attachments.length, 3);
    assert.notEqual(first.attachments[0].size, mms.attachments[0].content.length, "Graph's size is not the byte count");
    // The claim is handed back without a completion (an answer lost after the create): the next delivery reconciles.
    await leaveClaim(job, OLIVIA, { state: 'claimed', holder: '', claimedAt: new Date().toISOString() });
    await runImport(f, job);
    const [again, ...more] = copiesOf(f, OLIVIA, mms.raw.id);
    assert.equal(more.length, 0, 'one message');
    assert.deepEqual(
      again.attachments.map((a) => sha(a.content)).sort(),
      mms.attachments.map((a) => sha(a.content)).sort(),
      'each attachment exactly once, byte for byte',
    );
  });

  it('defect 1: attachment writes whose connection drops after the commit are not repeated', async () => {
    const mms = withSizes(item('mms'), [2_000_000, 2_100_000, 2_200_000]);
    const job = await convertFixture(f, mms);
    f.graph.setOptions({ rateTimeoutAfterCommit: 0.5, seed: 7 });
    try {
      await runImport(f, job);
    } finally {
      f.graph.setOptions({ rateTimeoutAfterCommit: 0 });
    }
    const copies = copiesOf(f, OLIVIA, mms.raw.id);
    assert.equal(copies.length, 1);
    assert.deepEqual(copies[0].attachments.map((a) => sha(a.content)).sort(), mms.attachments.map((a) => sha(a.content)).sort());
  });

  it('defect 3: a participant outside the RBAC scope is unmapped with the reason; the others get their copies on the first delivery', async () => {
    const chat = item('chat'); // Olivia, Omar and Wei
    const job = await convertFixture(f, chat);
    f.graph.setOptions({ mailboxScope: [OLIVIA, WEI] });
    try {
      const result = await importItem(job, f.services, { dequeueCount: 1 });
      assert.equal(result.status, 'imported');
      assert.deepEqual(result.copies.map((c) => c.upn).sort(), [OLIVIA, WEI].sort());
      assert.equal(result.unmapped.length, 1);
      assert.match(result.unmapped[0].reason, /outside the app's Exchange RBAC scope \(403 ErrorAccessDenied\)/);
    } finally {
      f.graph.setOptions({ mailboxScope: [] });
    }
    assert.equal(copiesOf(f, OLIVIA, chat.raw.id).length, 1);
    assert.equal(copiesOf(f, OMAR, chat.raw.id).length, 0);
  });

  it('defect 3: a scope that shrinks after the mailbox was confirmed unmaps that participant instead of failing the item', async () => {
    const chat = item('chat');
    await runImport(f, await convertFixture(f, chat)); // Omar is confirmed and cached
    const next = item('chat');
    const job = await convertFixture(f, next);
    f.graph.setOptions({ mailboxScope: [OLIVIA, WEI] });
    try {
      const result = await importItem(job, f.services, { dequeueCount: 1 });
      assert.equal(result.status, 'imported');
      assert.match(result.unmapped.map((u) => u.reason).join(), /RBAC scope/);
    } finally {
      f.graph.setOptions({ mailboxScope: [] });
    }
  });

  it('defect 3: a mail user and a guest are unmapped with the reason, not failures', async () => {
    const sms = item('sms', (raw) => {
      raw.participants = [
        { number: '+447700900101', name: 'Olivia Bennett', email: 'olivia.bennett@contoso.example' },
        { number: '+12025550177', name: 'Auditor', email: 'auditor@northwind-audit.example' },
        { number: '+12025550178', name: 'Partner', email: 'partner@fabrikam.example' },
      ];
    });
    const result = await importItem(await convertFixture(f, sms), f.services, { dequeueCount: 1 });
    assert.equal(result.status, 'imported');
    const reasons = result.unmapped.map((u) => u.reason).join('\n');
    assert.match(reasons, /auditor@northwind-audit\.example has no Exchange Online mailbox \(ErrorNonExistentMailbox\)/);
    assert.match(reasons, /partner@fabrikam\.example is a guest/);
  });

  it('defect 5: an item over the mailbox size limit is dead-lettered at once with a reason that says what the admin can do', async () => {
    const big = withSizes(item('mms'), [3_400_000, 20 * 1024 * 1024, 16 * 1024 * 1024]);
    const job = await convertFixture(f, big);
    const result = await importItem(job, f.services, { dequeueCount: 1 });
    assert.equal(result.status, 'partial', 'not thrown back to the queue to fail five times');
    const letter = (await f.services.deadLetters.list('enterprise', 'import')).find((l) => l.key === `${big.raw.id}@${OLIVIA}`);
    assert.match(letter?.reason ?? '', /^message-size-limit: .*MaxReceiveSize and MaxSendSize.*docs\/deploy\.md.*re-drive/);
    // After the admin raises the limit, a re-drive completes the same message.
    f.graph.setOptions({ largeMailboxes: [OLIVIA] });
    try {
      await runImport(f, job);
    } finally {
      f.graph.setOptions({ largeMailboxes: [] });
    }
    const copies = copiesOf(f, OLIVIA, big.raw.id);
    assert.equal(copies.length, 1);
    assert.equal(copies[0].attachments.length, 3);
  });

  it('defect 6: after the user moves the connector folder to Deleted Items, new items go to a new folder at the top', async () => {
    const cache = new GraphCache(f.services.storage.table(tables.graphCache), 60, 0);
    const first = item('sms');
    await runImport(f, await convertFixture(f, first), { graphCache: cache });
    const user = f.graph.users.find((u) => u.userPrincipalName === OLIVIA)!;
    const mb = f.graph.store.mailbox(user.id);
    const deleted = [...mb.folders.values()].find((x) => x.wellKnownName === 'deleteditems')!;
    const folder = [...mb.folders.values()].find((x) => x.displayName === FOLDER && x.parentFolderId !== deleted.id)!;
    folder.parentFolderId = deleted.id;
    const second = item('sms');
    await runImport(f, await convertFixture(f, second), { graphCache: cache });
    const [copy] = [...mb.messages.values()].filter((m) => m.singleValueExtendedProperties.some((p) => p.value.endsWith(`:${second.raw.id}`)));
    assert.notEqual(copy.folderId, folder.id, 'not into the deleted folder');
    const root = [...mb.folders.values()].find((x) => x.wellKnownName === 'inbox')!.parentFolderId;
    assert.equal(mb.folders.get(copy.folderId)?.parentFolderId, root, 'a new folder at the top of the mailbox');
    assert.equal(mb.folders.get(copy.folderId)?.displayName, FOLDER);
  });

  it('defect 6: a participant known by an alias (proxyAddresses) maps to the mailbox', async () => {
    const sms = item('sms', (raw) => {
      raw.participants = [
        { number: '+447700900101', name: 'Olivia Bennett', email: 'o.bennett@contoso.example' },
        { number: '+12025550150', name: 'Harbor Capital', email: null },
      ];
    });
    const result = await runImport(f, await convertFixture(f, sms));
    assert.deepEqual(
      result.copies.map((c) => c.upn),
      [OLIVIA],
    );
  });

  it('defect 7: the copy carries provenance: x- headers, named properties under one GUID, threading and the item class', async () => {
    const chat = item('chat');
    const job = await convertFixture(f, chat);
    await runImport(f, job);
    const [m] = copiesOf(f, OLIVIA, chat.raw.id);
    const eml = await readItemMessage(await f.services.storage.blob.getContainerClient(containers.mime).getBlobClient(job.emlPath).downloadToBuffer());
    const headers = Object.fromEntries(m.internetMessageHeaders.map((h) => [h.name, h.value]));
    assert.equal(headers['X-MobileArchive-Item-Id'], chat.raw.id);
    assert.equal(headers['X-MobileArchive-Raw-SHA256'], eml.headers.get('x-mobilearchive-raw-sha256'));
    assert.ok(headers['X-MobileArchive-Raw-Blob']);
    const prop = (id: string) => m.singleValueExtendedProperties.find((p) => p.id === id)?.value;
    assert.equal(prop(NAMED_PROPERTIES.product), 'enterprise-number');
    assert.equal(prop(NAMED_PROPERTIES.itemType), 'chat');
    assert.equal(prop(NAMED_PROPERTIES.rawSha256), eml.headers.get('x-mobilearchive-raw-sha256'));
    assert.equal(prop(MESSAGE_CLASS_PROPERTY), 'IPM.Note.MobileArchive.enterprise-number.chat');
    assert.equal(prop(CONVERSATION_INDEX_PROPERTY), eml.headers.get('thread-index'));
    const named = m.singleValueExtendedProperties.filter((p) => / Name /.test(p.id));
    assert.ok(named.length >= 5);
    assert.ok(
      named.every((p) => p.id.includes(PROPERTY_SET)),
      'every named property in the one property set',
    );
    // The item class is filterable, as eDiscovery and the simulator's $filter need.
    const sameClass = f.graph.messagesOf(OLIVIA, FOLDER).filter((x) => x.singleValueExtendedProperties.some((p) => p.id === MESSAGE_CLASS_PROPERTY));
    assert.ok(sameClass.length > 0);
  });

  it('two simultaneous deliveries of the same job create one message with one Graph create, and the other comes back later', async () => {
    const sms = withSizes(item('sms'), [10_000]);
    const job = await convertFixture(f, sms);
    f.graph.setOptions({ latencyMs: 30 });
    const creates = createRequests(f);
    try {
      const results = await Promise.all([importItem(job, f.services, { dequeueCount: 1 }), importItem(job, f.services, { dequeueCount: 1 })]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['imported', 'requeued']);
    } finally {
      f.graph.setOptions({ latencyMs: 0 });
      await f.services.importQueue.clearMessages();
    }
    assert.equal(createRequests(f) - creates, 1, 'one create request for one copy');
    assert.equal(copiesOf(f, OLIVIA, sms.raw.id).length, 1);
  });

  it('a copy the mailbox budget refused before sending is claimed afresh next time: no look-up, one create', async () => {
    const sms = item('sms');
    const job = await convertFixture(f, sms);
    const api = Object.create(f.services.mailboxApi) as MailboxApi;
    api.createMessage = () => Promise.reject(new HttpError('budget spent', 429, BUDGET_BUSY, 40));
    const refused = await importItem(job, { ...f.services, mailboxApi: api }, { dequeueCount: 1 });
    assert.equal(refused.status, 'requeued');
    await f.services.importQueue.clearMessages();
    assert.equal(await f.services.ledger.get(f.graph.users.find((u) => u.userPrincipalName === OLIVIA)!.id, job.connectorId, job.itemId), undefined);
    const [creates, lookups] = [createRequests(f), messageQueries(f)];
    await runImport(f, job);
    assert.equal(createRequests(f) - creates, 1);
    assert.equal(messageQueries(f) - lookups, 0, 'no look-up: nothing had been sent');
    assert.equal(copiesOf(f, OLIVIA, sms.raw.id).length, 1);
  });

  it('at shutdown the process hands its mailbox lanes back at once, instead of leaving them to their leases', async () => {
    const sms = item('sms');
    await runImport(f, await convertFixture(f, sms));
    const lanes = async () => {
      const rows: { holder: string }[] = [];
      for await (const row of f.ts.storage.table(tables.mailboxLanes).listEntities<{ holder: string }>()) rows.push(row);
      return rows;
    };
    assert.ok(
      (await lanes()).some((l) => l.holder !== ''),
      'the import holds a lane (handed back only after 5 idle seconds)',
    );
    await f.services.close();
    const after = await lanes();
    assert.ok(after.length > 0);
    assert.deepEqual(
      after.filter((l) => l.holder !== ''),
      [],
    );
  });

  it('the first copies of many items to one mailbox, all at once, share one mailbox look-up and one folder look-up', async () => {
    // A cache with no rows yet, as on the first day: every copy misses it at the same moment.
    const table = f.services.storage.table('graphcachestampede');
    await table.createTable();
    const cache = new GraphCache(table, 60);
    // Routes by their readable form ("GET /users/{}/mailFolders"), as npm run bench prints them.
    const requestsTo = (wanted: (route: string) => boolean) =>
      Object.entries(f.graph.requests.byRoute)
        .filter(([k]) => wanted(k.replaceAll('([^/]+)', '{}').replaceAll('\\/', '/').replace(/[\^$]/g, '')))
        .reduce((total, [, count]) => total + count, 0);
    const folderRequests = () => requestsTo((r) => r.includes('/mailFolders') && !r.endsWith('/messages'));
    const userRequests = () => requestsTo((r) => r === 'GET /users');
    const items = Array.from({ length: 8 }, () => item('sms'));
    const jobs: ImportJob[] = [];
    for (const i of items) jobs.push(await convertFixture(f, i));
    const [folders, users] = [folderRequests(), userRequests()];
    f.graph.setOptions({ latencyMs: 30 });
    let results: ImportResult[];
    try {
      results = await Promise.all(jobs.map((job) => importItem(job, { ...f.services, graphCache: cache }, { dequeueCount: 1 })));
    } finally {
      f.graph.setOptions({ latencyMs: 0 });
    }
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set(['imported']));
    // Per mailbox: the mailbox check's folder read, one folder look-up and a create when it is missing; per address, one user look-up.
    const mailboxes = new Set(results.flatMap((r) => r.copies.map((c) => c.upn))).size;
    assert.ok(mailboxes > 0);
    assert.ok(folderRequests() - folders <= 3 * mailboxes, `${folderRequests() - folders} folder requests for ${mailboxes} mailboxes`);
    assert.ok(userRequests() - users <= mailboxes + 1, `${userRequests() - users} user look-ups for ${mailboxes} mailboxes`);
  });

  it('a claim left by a crashed instance is waited for while its lease runs, then taken over with a look-up: no duplicate', async () => {
    const sms = item('sms');
    const job = await convertFixture(f, sms);
    await runImport(f, job);
    // The same copy, as a crash right after the create would leave it: claimed, no completion.
    await leaveClaim(job, OLIVIA, { state: 'claimed', holder: 'crashed-instance', claimedAt: new Date().toISOString() });
    const waiting = await importItem(job, f.services, { dequeueCount: 1 });
    assert.equal(waiting.status, 'requeued');
    await f.services.importQueue.clearMessages();
    await leaveClaim(job, OLIVIA, { state: 'claimed', holder: 'crashed-instance', claimedAt: new Date(Date.now() - CLAIM_LEASE_MS - 1000).toISOString() });
    const taken = await importItem(job, f.services, { dequeueCount: 1 });
    assert.equal(taken.status, 'imported');
    assert.equal(copiesOf(f, OLIVIA, sms.raw.id).length, 1);
  });
});
