/**
 * Makes LokiJS, the in-memory database under Azurite's metadata, remove none or one document in
 * time linear in the collection instead of re-sorting every index.
 *
 * LokiJS's batch removal (`removeBatch`, and `removeBatchByPositions` under `Resultset.remove` and
 * `findAndRemove`) rebuilds each binary index of the collection from scratch, a sort of the whole
 * collection, even when it removes nothing (techfort/LokiJS#773, closed "wontfix"). Azurite removes
 * through those paths on every queue operation (it clears expired messages first, almost always
 * none) and once per extent when its garbage collector sweeps; with a few thousand messages queued
 * a queue request costs milliseconds of sorting, and a sweep over thousands of deleted messages
 * holds Azurite's only thread for tens of seconds. Azure Storage's costs do not grow so: a
 * 5,000-item bench cycle spent 60 % of Azurite's time there (docs/operations.md).
 *
 * The one-document case goes through LokiJS's own single-document `remove`, which updates each index
 * in place (a binary search and a splice); the document keeps its `$loki` and `meta`, as a batch
 * removal leaves them. Larger batches keep LokiJS's path.
 */
import { dirname } from 'node:path';

interface LokiDoc {
  $loki: number;
  meta?: unknown;
}
interface LokiCollection {
  data: LokiDoc[];
  get: (this: LokiCollection, id: number) => LokiDoc | null;
  remove: (this: LokiCollection, doc: LokiDoc) => unknown;
  removeBatch: (this: LokiCollection, batch: (LokiDoc | number)[]) => void;
  removeBatchByPositions: (this: LokiCollection, positions: number[]) => void;
}

export interface LokiModule {
  Collection: { prototype: LokiCollection };
}

/** LokiJS as Azurite resolves it (it is Azurite's dependency, not ours). */
export function azuriteLoki(): LokiModule {
  const azurite = dirname(require.resolve('azurite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module instance Azurite itself loads
  return require(require.resolve('lokijs', { paths: [azurite] })) as LokiModule;
}

const PATCHED = Symbol.for('mobile-archive-connector.loki-removals');

/** Idempotent: patching twice does not wrap twice. */
export function lightenLokiRemovals(loki: LokiModule = azuriteLoki()): void {
  const proto = loki.Collection.prototype as LokiCollection & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const removeBatch = proto.removeBatch;
  const removeBatchByPositions = proto.removeBatchByPositions;
  proto.removeBatch = function (batch) {
    if (batch.length > 1) return removeBatch.call(this, batch);
    if (batch.length === 0) return;
    const doc = typeof batch[0] === 'number' ? this.get(batch[0]) : batch[0];
    if (doc) removeOne(this, doc);
  };
  proto.removeBatchByPositions = function (positions) {
    if (positions.length > 1) return removeBatchByPositions.call(this, positions);
    if (positions.length === 0) return;
    const doc = this.data[positions[0]];
    if (doc) removeOne(this, doc);
  };
  proto[PATCHED] = true;
}

function removeOne(collection: LokiCollection, doc: LokiDoc): void {
  const { $loki, meta } = doc;
  collection.remove(doc);
  // The single-document path strips these from an unfrozen document; a batch removal does not.
  if (!Object.isFrozen(doc)) Object.assign(doc, { $loki, meta });
}
