/**
 * The per-connector checkpoint: the watermark up to which every item has been fetched, and the
 * window currently in flight. One Table entity per connector, changed only with optimistic
 * concurrency (ETag), so two scheduler instances cannot both claim a window and a stale fetch
 * job cannot move the watermark.
 */
import type { TableClient } from '@azure/data-tables';
import { hasStatus } from '../http/http-error';
import type { Window } from './window';
import { findEntity } from '../storage/tables';
import { etagOf } from '../http/etag';

export interface InFlightWindow extends Window {
  runId: string;
  /** claimed: written before the job is sent; dispatched: the job is on the queue. */
  state: 'claimed' | 'dispatched';
  /** When the window was (re)claimed; a claim that stays unsent this long is presumed crashed. */
  claimedAt: Date;
  /** The fetch job part now allowed to run (0 first, +1 per continuation). */
  part?: number;
  leaseUntil: Date;
}

export interface Checkpoint {
  connectorId: string;
  watermark?: Date;
  inFlight?: InFlightWindow;
  etag: string;
}

interface CheckpointEntity {
  partitionKey: string;
  rowKey: string;
  watermark?: string;
  inFlightRunId?: string;
  inFlightFrom?: string;
  inFlightTo?: string;
  inFlightState?: string;
  inFlightClaimedAt?: string;
  inFlightPart?: number;
  leaseUntil?: string;
  updatedAt: string;
}

const ROW_KEY = 'checkpoint';
const DELTA_ROW_KEY = 'deltalink';

export class CheckpointConflictError extends Error {
  constructor(connectorId: string) {
    super(`checkpoint of connector "${connectorId}" was changed by someone else`);
    this.name = 'CheckpointConflictError';
  }
}

export class CheckpointStore {
  constructor(private readonly table: TableClient) {}

  async read(connectorId: string): Promise<Checkpoint | undefined> {
    const e = await findEntity<CheckpointEntity>(this.table, connectorId, ROW_KEY);
    return e && fromEntity(connectorId, e, e.etag);
  }

  /**
   * Claims a window for a run. Throws CheckpointConflictError if the checkpoint changed since it
   * was read. The first claim pins the watermark to the window's start, so a window that is lost
   * and dispatched again later still starts where the first one did.
   */
  async claim(connectorId: string, previous: Checkpoint | undefined, window: InFlightWindow): Promise<Checkpoint> {
    const entity: CheckpointEntity = {
      partitionKey: connectorId,
      rowKey: ROW_KEY,
      watermark: (previous?.watermark ?? window.from).toISOString(),
      ...inFlightFields({ ...window, part: 0 }),
      updatedAt: new Date().toISOString(),
    };
    return this.write(connectorId, entity, previous?.etag);
  }

  async markDispatched(current: Checkpoint, leaseUntil: Date): Promise<Checkpoint> {
    if (!current.inFlight) throw new Error('no window in flight');
    return this.write(
      current.connectorId,
      {
        partitionKey: current.connectorId,
        rowKey: ROW_KEY,
        watermark: current.watermark?.toISOString(),
        ...inFlightFields({ ...current.inFlight, state: 'dispatched', leaseUntil }),
        updatedAt: new Date().toISOString(),
      },
      current.etag,
    );
  }

  /**
   * Called when the run's window has been fetched completely: the watermark moves to the window's
   * end and the connector is free again. A job of an older run (its lease expired and the window
   * was re-dispatched) leaves the checkpoint alone and gets false.
   */
  async complete(connectorId: string, runId: string): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.read(connectorId);
      if (!current?.inFlight || current.inFlight.runId !== runId) return false;
      try {
        await this.write(
          connectorId,
          { partitionKey: connectorId, rowKey: ROW_KEY, watermark: current.inFlight.to.toISOString(), updatedAt: new Date().toISOString() },
          current.etag,
        );
        return true;
      } catch (err) {
        if (!(err instanceof CheckpointConflictError)) throw err;
      }
    }
    throw new CheckpointConflictError(connectorId);
  }

  /**
   * Moves a run's window from job part `from` to `from + 1` and extends its lease, before the
   * fetcher sends that continuation. Only one execution of a part can do so: a retried or
   * duplicated part gets false and sends nothing, so a window never has two continuation chains.
   */
  async advancePart(connectorId: string, runId: string, from: number, leaseUntil: Date): Promise<boolean> {
    const current = await this.read(connectorId);
    if (!current?.inFlight || current.inFlight.runId !== runId || (current.inFlight.part ?? 0) !== from) return false;
    try {
      await this.write(
        connectorId,
        {
          partitionKey: connectorId,
          rowKey: ROW_KEY,
          watermark: current.watermark?.toISOString(),
          ...inFlightFields({ ...current.inFlight, part: from + 1, leaseUntil }),
          updatedAt: new Date().toISOString(),
        },
        current.etag,
      );
      return true;
    } catch (err) {
      if (err instanceof CheckpointConflictError) return false;
      throw err;
    }
  }

  /** Gives a run's window up without moving the watermark (e.g. sign-in refused): the next run fetches it. */
  async release(connectorId: string, runId: string): Promise<boolean> {
    const current = await this.read(connectorId);
    if (!current?.inFlight || current.inFlight.runId !== runId) return false;
    try {
      await this.write(
        connectorId,
        { partitionKey: connectorId, rowKey: ROW_KEY, watermark: current.watermark?.toISOString(), updatedAt: new Date().toISOString() },
        current.etag,
      );
      return true;
    } catch (err) {
      if (err instanceof CheckpointConflictError) return false;
      throw err;
    }
  }

  /** A journal mailbox connector's Graph delta link: where the next round of reading starts (absent: from the start). */
  async deltaLink(connectorId: string): Promise<string | undefined> {
    return (await findEntity<{ link: string }>(this.table, connectorId, DELTA_ROW_KEY))?.link || undefined;
  }

  /** Saved only after every message of the round is stored and moved; undefined forgets it (a new full round). */
  async saveDeltaLink(connectorId: string, link: string | undefined): Promise<void> {
    await this.table.upsertEntity({ partitionKey: connectorId, rowKey: DELTA_ROW_KEY, link: link ?? '', updatedAt: new Date().toISOString() }, 'Replace');
  }

  private async write(connectorId: string, entity: CheckpointEntity, etag: string | undefined): Promise<Checkpoint> {
    try {
      const response = etag ? await this.table.updateEntity(entity, 'Replace', { etag }) : await this.table.createEntity(entity);
      return fromEntity(connectorId, entity, etagOf(response.etag, 'checkpoint write'));
    } catch (err) {
      if (hasStatus(err, 409, 412)) throw new CheckpointConflictError(connectorId);
      throw err;
    }
  }
}

function inFlightFields(w: InFlightWindow): Partial<CheckpointEntity> {
  return {
    inFlightRunId: w.runId,
    inFlightFrom: w.from.toISOString(),
    inFlightTo: w.to.toISOString(),
    inFlightState: w.state,
    inFlightClaimedAt: w.claimedAt.toISOString(),
    inFlightPart: w.part ?? 0,
    leaseUntil: w.leaseUntil.toISOString(),
  };
}

function fromEntity(connectorId: string, e: Omit<CheckpointEntity, 'partitionKey' | 'rowKey'>, etag: string): Checkpoint {
  const inFlight =
    e.inFlightRunId && e.inFlightFrom && e.inFlightTo && e.leaseUntil
      ? {
          runId: e.inFlightRunId,
          from: new Date(e.inFlightFrom),
          to: new Date(e.inFlightTo),
          state: e.inFlightState === 'claimed' ? ('claimed' as const) : ('dispatched' as const),
          claimedAt: new Date(e.inFlightClaimedAt ?? e.inFlightFrom),
          part: e.inFlightPart ?? 0,
          leaseUntil: new Date(e.leaseUntil),
        }
      : undefined;
  return { connectorId, watermark: e.watermark ? new Date(e.watermark) : undefined, inFlight, etag };
}
