import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';
import { ClaimLostError, CLAIM_LEASE_MS, ImportLedger } from '../../../shared/importing/ledger';
import { percentEncode } from '../../../shared/text/percent-encode';
import { StorageAccounting, asShare } from '../../../dev/stack/storage-accounting';

const USERS = ['0b8f6c1e-0000-4000-8000-000000000001', '0b8f6c1e-0000-4000-8000-000000000002', '0b8f6c1e-0000-4000-8000-000000000003'];

describe('import ledger: a partition per item, claimed and completed in one transaction', () => {
  let ts: TestStorage;
  let accounting: StorageAccounting;
  let n = 0;
  /** A fresh pair of tables per test: the ledger and the pre-upgrade one (partition per mailbox). */
  const tables = async (withLegacy = false): Promise<{ ledger: ImportLedger; table: TableClient; legacy: TableClient }> => {
    n++;
    const table = ts.storage.table(`ledger${n}`);
    const legacy = ts.storage.table(`legacyledger${n}`);
    await table.createTable();
    if (withLegacy) await legacy.createTable();
    return { ledger: new ImportLedger(table, legacy), table, legacy };
  };
  const counted = async <T>(work: () => Promise<T>) => {
    accounting.start();
    try {
      const value = await asShare('app', work);
      return { value, kinds: Object.fromEntries(accounting.byKind('app')) };
    } finally {
      accounting.stop();
    }
  };

  before(async () => {
    ts = await startTestStorage();
    accounting = new StorageAccounting(ts.azurite.ports);
  });
  after(() => ts.stop());

  it('a claim answered without an ETag fails loudly, so no later write of it goes out unconditionally', async () => {
    const { table } = await tables();
    const noEtags = new Proxy(table, {
      get(target, property) {
        if (property === 'createEntity')
          return async (entity: Parameters<TableClient['createEntity']>[0]) => ({ ...(await target.createEntity(entity)), etag: undefined });
        if (property === 'submitTransaction')
          return async (actions: Parameters<TableClient['submitTransaction']>[0]) => {
            const res = await target.submitTransaction(actions);
            return { ...res, subResponses: res.subResponses.map((r) => ({ ...r, etag: undefined })) };
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? ((value as (...args: unknown[]) => unknown).bind(target) as unknown) : value;
      },
    });
    const ledger = new ImportLedger(noEtags);
    await assert.rejects(ledger.claimAll('o2', 'item-no-etag', USERS, 'h1'), /import ledger claim: storage answered without an ETag/);
    await assert.rejects(ledger.claim(USERS[0], 'o2', 'item-no-etag-2', 'h1'), /import ledger claim: storage answered without an ETag/);
  });

  it('claims three copies with one request and completes them with one more', async () => {
    const { ledger } = await tables();
    // No legacy table in this deployment: after one look (404), nobody asks again.
    await ledger.claim('warm-up', 'o2', 'other-item', 'h0');
    const claim = await counted(() => ledger.claimAll('o2', 'item-1', USERS, 'h1'));
    assert.deepEqual(claim.kinds, { 'table Entity Group Transaction': 1 });
    assert.deepEqual(
      [...claim.value.values()].map((e) => [e.state, e.holder]),
      USERS.map(() => ['claimed', 'h1']),
    );
    const done = await counted(() =>
      ledger.updateAll(
        'o2',
        'item-1',
        USERS.map((userId, i) => ({ userId, entry: claim.value.get(userId)!, change: { state: 'complete', messageId: `m${i}`, holder: '' } })),
      ),
    );
    assert.deepEqual(done.kinds, { 'table Entity Group Transaction': 1 });
    for (const [i, userId] of USERS.entries()) assert.equal((await ledger.get(userId, 'o2', 'item-1'))?.messageId, `m${i}`);
  });

  it('a retry claims the copies still missing and is shown the ones made', async () => {
    const { ledger } = await tables();
    const first = await ledger.claimAll('o2', 'item-2', USERS.slice(0, 1), 'h1');
    await ledger.update(USERS[0], 'o2', 'item-2', first.get(USERS[0])!, { state: 'complete', messageId: 'm0', holder: '' });
    const again = await ledger.claimAll('o2', 'item-2', USERS, 'h2');
    assert.equal(again.get(USERS[0])?.state, 'complete');
    assert.equal(again.get(USERS[0])?.messageId, 'm0');
    assert.deepEqual([again.get(USERS[1])?.holder, again.get(USERS[2])?.holder], ['h2', 'h2']);
  });

  it('a completion whose claim was taken over is refused for that copy only', async () => {
    const { ledger } = await tables();
    const claims = await ledger.claimAll('o2', 'item-3', USERS, 'h1');
    // Another delivery took over the second copy (this one ran past its lease).
    await ledger.takeOver(USERS[1], 'o2', 'item-3', claims.get(USERS[1])!, 'h2');
    const done = await ledger.updateAll(
      'o2',
      'item-3',
      USERS.map((userId) => ({ userId, entry: claims.get(userId)!, change: { state: 'complete', messageId: `m-${userId}`, holder: '' } })),
    );
    assert.ok(done.get(USERS[1]) instanceof ClaimLostError);
    assert.equal((await ledger.get(USERS[0], 'o2', 'item-3'))?.state, 'complete');
    assert.equal((await ledger.get(USERS[2], 'o2', 'item-3'))?.state, 'complete');
    assert.equal((await ledger.get(USERS[1], 'o2', 'item-3'))?.holder, 'h2');
  });

  it('after an upgrade, a copy the old ledger recorded as made is not made again', async () => {
    const { ledger, legacy } = await tables(true);
    const key = percentEncode('o2:item-4');
    await legacy.createEntity({
      partitionKey: USERS[0],
      rowKey: key,
      state: 'complete',
      messageId: 'old-m',
      folderId: 'f',
      holder: '',
      claimedAt: '2026-01-01T00:00:00Z',
    });
    const claims = await ledger.claimAll('o2', 'item-4', USERS.slice(0, 2), 'h1');
    assert.equal(claims.get(USERS[0])?.state, 'complete');
    assert.equal(claims.get(USERS[0])?.messageId, 'old-m');
    assert.equal(claims.get(USERS[1])?.state, 'claimed');
    assert.equal(claims.get(USERS[1])?.holder, 'h1');
    // Adopted: the row lives in the new ledger now, and the old one is gone.
    assert.equal((await ledger.get(USERS[0], 'o2', 'item-4'))?.messageId, 'old-m');
    await assert.rejects(legacy.getEntity(USERS[0], key), (err: { statusCode?: number }) => err.statusCode === 404);
  });

  it('the sweep moves the old ledger over, leaves a copy being claimed to its claimant, and removes the emptied table', async () => {
    const { ledger, table, legacy } = await tables(true);
    const old = (user: string, item: string, state: string) =>
      legacy.createEntity({
        partitionKey: user,
        rowKey: percentEncode(`o2:${item}`),
        state,
        messageId: `m-${item}`,
        holder: '',
        claimedAt: '2026-01-01T00:00:00Z',
      });
    await old(USERS[0], 'a', 'complete');
    await old(USERS[1], 'a', 'complete');
    await old(USERS[0], 'b', 'created');
    await old(USERS[2], 'live', 'complete');
    await old(USERS[2], 'dead', 'complete');
    // A fresh claim in progress for "live" (it will adopt the old row itself), a dead one for "dead".
    await table.createEntity({ partitionKey: percentEncode('o2:live'), rowKey: USERS[2], state: 'claimed', holder: 'h9', claimedAt: new Date().toISOString() });
    const expired = new Date(Date.now() - CLAIM_LEASE_MS - 1000).toISOString();
    await table.createEntity({ partitionKey: percentEncode('o2:dead'), rowKey: USERS[2], state: 'claimed', holder: 'h8', claimedAt: expired });

    const first = await ledger.migrateLegacy(Date.now() + 60_000);
    assert.deepEqual(first, { moved: 4, more: true });
    assert.equal((await ledger.get(USERS[1], 'o2', 'a'))?.state, 'complete');
    assert.equal((await ledger.get(USERS[0], 'o2', 'b'))?.state, 'created');
    assert.equal((await ledger.get(USERS[2], 'o2', 'dead'))?.messageId, 'm-dead');
    assert.equal((await ledger.get(USERS[2], 'o2', 'live'))?.holder, 'h9', 'left to its claimant');

    // The claimant hands back without having made anything; the next sweep moves the row over it.
    const live = (await ledger.get(USERS[2], 'o2', 'live'))!;
    await ledger.release(USERS[2], 'o2', 'live', live);
    const second = await ledger.migrateLegacy(Date.now() + 60_000);
    assert.deepEqual(second, { moved: 1, more: false });
    assert.equal((await ledger.get(USERS[2], 'o2', 'live'))?.state, 'complete');
    await assert.rejects(legacy.getEntity(USERS[2], percentEncode('o2:live')), (err: { statusCode?: number }) => err.statusCode === 404);
    // Emptied and removed: a claim no longer looks there.
    const claim = await counted(() => ledger.claimAll('o2', 'new-item', USERS, 'h1'));
    assert.deepEqual(claim.kinds, { 'table Entity Group Transaction': 1, 'table Query Entities': 1 });
    const next = await counted(() => ledger.claimAll('o2', 'newer-item', USERS, 'h1'));
    assert.deepEqual(next.kinds, { 'table Entity Group Transaction': 1 });
  });
});
