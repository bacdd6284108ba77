import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { azuriteLoki, lightenLokiRemovals, type LokiModule } from '../../dev/stack/loki-removals';

interface Row {
  name: string;
  n: number;
  $loki?: number;
}
interface Collection {
  insert(rows: Row[]): void;
  find(query?: object): Row[];
  findOne(query: object): Row | null;
  remove(doc: Row | Row[]): void;
  findAndRemove(query: object): void;
  chain(): { find(query: object): { data(): Row[]; remove(): void } };
  ensureIndex(property: string, force?: boolean): void;
}

const loki = azuriteLoki() as LokiModule & { new (name: string): { addCollection(name: string, options: object): Collection } };
lightenLokiRemovals(loki);

/** A collection indexed like Azurite's messages collection, with every index rebuild counted. */
function collection(size: number): { coll: Collection; rebuilds: () => number } {
  const db = new loki('test.db');
  const coll = db.addCollection('messages', { indices: ['name', 'n'] });
  coll.insert(Array.from({ length: size }, (_, i) => ({ name: `m${String((i * 7919) % size).padStart(5, '0')}`, n: (i * 31) % size })));
  let count = 0;
  const ensureIndex = coll.ensureIndex.bind(coll);
  coll.ensureIndex = (property, force) => {
    if (force) count++;
    ensureIndex(property, force);
  };
  return { coll, rebuilds: () => count };
}

/** Every indexed query answers what a scan of the remaining rows answers. */
function assertIndexesAgree(coll: Collection, size: number): void {
  const all = coll.find();
  for (const bound of [0, 1, size / 2, size - 1, size]) {
    const byIndex = coll
      .find({ n: { $lt: bound } })
      .map((r) => r.n)
      .sort((a, b) => a - b);
    const byScan = all
      .filter((r) => r.n < bound)
      .map((r) => r.n)
      .sort((a, b) => a - b);
    assert.deepEqual(byIndex, byScan, `n < ${bound}`);
  }
  for (const row of all.slice(0, 20)) assert.equal(coll.findOne({ name: row.name })?.n, row.n);
}

describe('LokiJS removals under Azurite (loki-removals)', () => {
  it('removing nothing, as Azurite does before every queue operation, rebuilds no index', () => {
    const { coll, rebuilds } = collection(1_000);
    coll.remove([]);
    coll
      .chain()
      .find({ n: { $lt: -1 } })
      .remove();
    coll.findAndRemove({ name: 'absent' });
    assert.equal(rebuilds(), 0);
    assert.equal(coll.find().length, 1_000);
  });

  it('removing one document, by each path Azurite uses, updates the indexes in place and keeps them right', () => {
    const size = 1_000;
    const { coll, rebuilds } = collection(size);
    const one = coll.findOne({ n: 10 })!;
    const loki$ = one.$loki;
    coll.remove([one]);
    assert.equal(one.$loki, loki$, 'the removed document keeps its $loki, as in a batch removal');
    coll.findAndRemove({ name: coll.findOne({ n: 500 })!.name });
    coll.chain().find({ n: 999 }).remove();
    coll.remove(coll.findOne({ n: 0 })!);
    assert.equal(rebuilds(), 0);
    assert.equal(coll.find().length, size - 4);
    for (const gone of [0, 10, 500, 999]) assert.equal(coll.findOne({ n: gone }), null);
    assertIndexesAgree(coll, size);
  });

  it('a batch of several keeps LokiJS own path, and the indexes stay right', () => {
    const size = 500;
    const { coll } = collection(size);
    coll
      .chain()
      .find({ n: { $lt: 100 } })
      .remove();
    coll.remove(coll.find({ n: { $gte: 400 } }));
    assert.equal(coll.find().length, 300);
    assertIndexesAgree(coll, size);
  });

  it('patching twice wraps once', () => {
    const proto = loki.Collection.prototype;
    const before = [proto.removeBatch, proto.removeBatchByPositions];
    lightenLokiRemovals(loki);
    assert.deepEqual([proto.removeBatch, proto.removeBatchByPositions], before);
  });
});
