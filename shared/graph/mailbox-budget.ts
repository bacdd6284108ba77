/**
 * One mailbox's Exchange Online budget, shared by every instance of the app: 4 requests at once,
 * 10,000 requests per 10 minutes and 150 MB of uploads per 5 minutes, per app and mailbox
 * (https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits). A limit kept
 * per process is exceeded as soon as Flex Consumption runs a second instance.
 *
 * The budget is cut into lanes, one per concurrent request (4). A lane is a row of the
 * `mailboxlanes` table (partition: the mailbox), held by one instance at a time under a lease
 * (claimed with a conditional write, renewed, handed back when the instance has no work for it).
 * A lane carries one request at a time, a quarter of the request rate, and a quarter of the upload
 * budget, with its own record of what it spent in the last window; the record travels with the
 * lane, so the next holder goes on where the last one stopped. An instance holds as many lanes as
 * it has requests waiting, its upload bytes are drawn from all its lanes, and a request that finds
 * every lane held elsewhere for too long is answered as throttled (the importer re-queues it).
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { hasStatus, HttpError } from '../http/http-error';
import { etagOf } from '../http/etag';

export interface MailboxLimits {
  concurrent: number;
  requests: number;
  requestWindowMs: number;
  uploadBytes: number;
  uploadWindowMs: number;
}

/** Exchange Online's limits per app and mailbox. */
export const EXCHANGE_LIMITS: MailboxLimits = {
  concurrent: 4,
  requests: 10_000,
  requestWindowMs: 600_000,
  uploadBytes: 150 * 1024 * 1024,
  uploadWindowMs: 300_000,
};

export interface BudgetOptions {
  /** How long a lane is held without renewal (a crashed holder's lanes come free after it). */
  leaseMs: number;
  /** A lane unused this long is handed back. */
  idleMs: number;
  /** A request that waits this long for a lane is answered as throttled. */
  maxWaitMs: number;
  /** A request the spent window would hold longer than this is handed back at once (its invocation serves other items meanwhile). */
  longWaitMs: number;
  /** Seconds a request that found no lane in maxWaitMs is asked to wait before it comes back. */
  busyRetryAfterSeconds: number;
  /** Share of each limit used, for clocks that differ a little between instances and Exchange. */
  margin: number;
}

/**
 * The budget's waits as fractions of the request window, so each costs the same small share of a
 * window whatever the window is: for Exchange's 10 minutes, a lane idle 5 s is handed back, a
 * request waits at most 10 s for a lane and is then asked back after 15 s, and one the spent window
 * would hold over 5 s is handed back at once. The lease is about crashes, not the window: 30 s.
 */
export function budgetOptionsFor(limits: Pick<MailboxLimits, 'requestWindowMs'>): BudgetOptions {
  const window = limits.requestWindowMs;
  return {
    leaseMs: 30_000,
    idleMs: Math.max(200, window / 120),
    maxWaitMs: Math.max(500, window / 60),
    longWaitMs: Math.max(200, window / 120),
    busyRetryAfterSeconds: Math.max(1, Math.ceil(window / 40_000)),
    margin: 0.99,
  };
}

/** Buckets per window in a lane's record (2 s for Exchange's 5-minute upload window): a bucket counts until its end plus the window. */
const BUCKETS_PER_WINDOW = 150;
const TICK_MS = 100;

interface Spent {
  requests: number;
  bytes: number;
}

interface Lane {
  rowKey: string;
  etag: string;
  busy: boolean;
  lastUsed: number;
  leasedUntil: number;
  spent: Map<number, Spent>;
}

interface Waiter {
  bytes: number;
  since: number;
  admit: (lane: Lane) => void;
  refuse: (err: Error) => void;
}

/** A lane another instance holds (or nobody has taken), as the last look at the table showed it; `spent` undefined: not known. */
interface OtherLane {
  rowKey: string;
  spent?: Map<number, Spent>;
}

interface Gate {
  lanes: Map<string, Lane>;
  /** The mailbox's other lanes at the last acquisition: whether one still has part of the window to give. */
  others: Map<string, OtherLane>;
  waiters: Waiter[];
  acquiring: boolean;
  nextAcquireAt: number;
  saving: boolean;
}

interface LaneRow {
  holder: string;
  until: number;
  /** JSON [[bucket start (ms since the epoch), requests, bytes], ...]. */
  spent: string;
}

export class MailboxBudget {
  private readonly gates = new Map<string, Gate>();
  private readonly instance = randomUUID();
  private readonly bucketMs: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly table: TableClient,
    private readonly limits: MailboxLimits = EXCHANGE_LIMITS,
    private readonly options: BudgetOptions = budgetOptionsFor(limits),
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(10, Math.floor(Math.min(limits.requestWindowMs, limits.uploadWindowMs) / BUCKETS_PER_WINDOW));
  }

  /** Runs one request to the mailbox when a lane of its budget is free; `bytes` is what the upload limit counts (the request body). */
  async run<T>(mailbox: string, bytes: number, call: () => Promise<T>): Promise<T> {
    const gate = this.gateOf(mailbox);
    const lane = await new Promise<Lane>((admit, refuse) => {
      gate.waiters.push({ bytes, since: this.now(), admit, refuse });
      this.pump(mailbox, gate);
    });
    try {
      return await call();
    } finally {
      lane.busy = false;
      lane.lastUsed = this.now();
      this.pump(mailbox, gate);
    }
  }

  /** Hands every lane back (at shutdown), so other instances need not wait for the leases. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.gates].map(([mailbox, gate]) => this.save(mailbox, gate, [...gate.lanes.values()], true)));
  }

  private gateOf(mailbox: string): Gate {
    let gate = this.gates.get(mailbox);
    if (!gate) {
      gate = { lanes: new Map(), others: new Map(), waiters: [], acquiring: false, nextAcquireAt: 0, saving: false };
      this.gates.set(mailbox, gate);
    }
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
    return gate;
  }

  /** Lane `lane-i`'s part of each limit: the usable total split in `concurrent` parts, the remainder to the first lanes. */
  private laneShare(rowKey: string): { requests: number; bytes: number } {
    const { concurrent, requests, uploadBytes } = this.limits;
    const i = Number(rowKey.slice('lane-'.length));
    const part = (total: number) => Math.floor(total / concurrent) + (i < total % concurrent ? 1 : 0);
    return { requests: part(Math.floor(requests * this.options.margin)), bytes: part(Math.floor(uploadBytes * this.options.margin)) };
  }

  /** What the lane spent that still counts at `now`. */
  private spentIn(lane: Pick<Lane, 'spent'>, now: number): Spent {
    const total = { requests: 0, bytes: 0 };
    for (const [bucket, s] of lane.spent) {
      const end = bucket + this.bucketMs;
      if (end + this.limits.requestWindowMs > now) total.requests += s.requests;
      if (end + this.limits.uploadWindowMs > now) total.bytes += s.bytes;
    }
    return total;
  }

  /** Admits every waiter a free lane and the budget allow; asks for another lane when some still wait. */
  private pump(mailbox: string, gate: Gate): void {
    const now = this.now();
    const held = [...gate.lanes.values()].filter((l) => l.leasedUntil > now);
    let bytesLeft = held.reduce((n, l) => n + Math.max(0, this.laneShare(l.rowKey).bytes - this.spentIn(l, now).bytes), 0);
    // A request that has a lane but not the bytes: another lane brings its share of the upload budget.
    let short = 0;
    // A lane that can take a request now: free, and its share of the rate not spent (another lane brings its own).
    const canTake = (l: Lane) => !l.busy && this.spentIn(l, now).requests < this.laneShare(l.rowKey).requests;
    for (let i = 0; i < gate.waiters.length;) {
      const w = gate.waiters[i];
      const lane = held.find(canTake);
      if (!lane || w.bytes > bytesLeft) {
        if (lane) short = 1;
        i++;
        continue;
      }
      gate.waiters.splice(i, 1);
      lane.busy = true;
      lane.lastUsed = now;
      this.charge(held, lane, w.bytes, now);
      bytesLeft -= w.bytes;
      w.admit(lane);
    }
    const usable = held.filter(canTake).length;
    const wanted = Math.max(short, gate.waiters.length - usable);
    if (wanted > 0 && gate.lanes.size < this.limits.concurrent && !gate.acquiring && now >= gate.nextAcquireAt) {
      void this.acquire(mailbox, gate, wanted);
    }
    // Every lane this instance holds has spent its share of the rate, and so had every other lane when
    // it last looked: the wait is as long as the window says. Waiting in the invocation would hold it
    // from other mailboxes' items: hand back now. (While another lane has part of the window left,
    // the request waits for it instead, up to maxWaitMs: its holder hands it back when idle.)
    const mayGetMore = gate.lanes.size < this.limits.concurrent && (gate.acquiring || now >= gate.nextAcquireAt);
    if (gate.waiters.length > 0 && held.length > 0 && usable === 0 && !mayGetMore && held.every((l) => !l.busy)) {
      const others = [...gate.others.values()].filter((o) => !gate.lanes.has(o.rowKey));
      const spentElsewhere = others.every((o) => o.spent && this.spentIn({ spent: o.spent }, now).requests >= this.laneShare(o.rowKey).requests);
      if (!spentElsewhere) return;
      const freeAt = Math.min(...held.map((l) => this.rateFreesAt(l, now)), ...others.map((o) => this.rateFreesAt({ spent: o.spent! }, now)));
      if (freeAt - now > this.options.longWaitMs) {
        for (const w of gate.waiters.splice(0)) w.refuse(busyError('the request budget of the window is spent', Math.ceil((freeAt - now) / 1000)));
      }
    }
  }

  /** When the lane's oldest counted request leaves its window (so it may take one more). */
  private rateFreesAt(lane: Pick<Lane, 'spent'>, now: number): number {
    let oldest = Infinity;
    for (const bucket of lane.spent.keys()) {
      const end = bucket + this.bucketMs + this.limits.requestWindowMs;
      if (end > now && bucket < oldest) oldest = bucket;
    }
    return oldest === Infinity ? now : oldest + this.bucketMs + this.limits.requestWindowMs;
  }

  /** The request counts on its lane; its bytes on that lane first, then on the others this instance holds. */
  private charge(held: Lane[], lane: Lane, bytes: number, now: number): void {
    const bucket = Math.floor(now / this.bucketMs) * this.bucketMs;
    const add = (l: Lane, requests: number, b: number) => {
      const s = l.spent.get(bucket) ?? { requests: 0, bytes: 0 };
      s.requests += requests;
      s.bytes += b;
      l.spent.set(bucket, s);
    };
    let left = bytes;
    for (const l of [lane, ...held.filter((h) => h !== lane)]) {
      const take = Math.min(left, Math.max(0, this.laneShare(l.rowKey).bytes - this.spentIn(l, now).bytes));
      add(l, l === lane ? 1 : 0, take);
      left -= take;
      if (left <= 0) break;
    }
    if (left > 0) add(lane, 0, left);
  }

  /** Claims up to `wanted` free lanes of the mailbox (a lane nobody holds, or whose lease ran out). */
  private async acquire(mailbox: string, gate: Gate, wanted: number): Promise<void> {
    gate.acquiring = true;
    let got = 0;
    try {
      const rows = new Map<string, LaneRow & { etag: string }>();
      for await (const e of this.table.listEntities<LaneRow>({ queryOptions: { filter: odata`PartitionKey eq ${mailbox}` } })) {
        rows.set(e.rowKey!, { holder: e.holder, until: e.until, spent: e.spent, etag: e.etag });
      }
      for (let i = 0; i < this.limits.concurrent && got < wanted; i++) {
        const rowKey = `lane-${i}`;
        if (gate.lanes.has(rowKey)) continue;
        const row = rows.get(rowKey);
        const now = this.now();
        if (row && row.holder !== '' && row.until > now) continue;
        const mine: LaneRow = { holder: this.instance, until: now + this.options.leaseMs, spent: row?.spent ?? '[]' };
        try {
          const res = row
            ? await this.table.updateEntity({ partitionKey: mailbox, rowKey, ...mine }, 'Replace', { etag: row.etag })
            : await this.table.createEntity({ partitionKey: mailbox, rowKey, ...mine });
          gate.lanes.set(rowKey, {
            rowKey,
            etag: etagOf(res.etag, 'mailbox lane claim'),
            busy: false,
            lastUsed: now,
            leasedUntil: mine.until,
            spent: parseSpent(mine.spent),
          });
          got++;
        } catch (err) {
          // Another instance took it first.
          if (!hasStatus(err, 409, 412)) throw err;
        }
      }
      gate.others.clear();
      for (let i = 0; i < this.limits.concurrent; i++) {
        const rowKey = `lane-${i}`;
        const row = rows.get(rowKey);
        if (!gate.lanes.has(rowKey)) gate.others.set(rowKey, { rowKey, spent: row ? parseSpent(row.spent) : undefined });
      }
    } catch (err) {
      // The budget table did not answer: the requests waiting fail with that (the importer retries them).
      for (const w of gate.waiters.splice(0)) w.refuse(err as Error);
    } finally {
      gate.acquiring = false;
      // Every lane held elsewhere: ask again in a while, not on every request.
      if (got === 0) gate.nextAcquireAt = this.now() + 500 + Math.floor(Math.random() * 500);
      this.pump(mailbox, gate);
    }
  }

  /** Renews leases that are half spent, hands back lanes idle for idleMs, refuses waiters that waited too long. */
  private tick(): void {
    const now = this.now();
    for (const [mailbox, gate] of this.gates) {
      for (let i = gate.waiters.length - 1; i >= 0; i--) {
        const w = gate.waiters[i];
        if (now - w.since < this.options.maxWaitMs) continue;
        gate.waiters.splice(i, 1);
        w.refuse(
          busyError(
            `no lane of the budget came free in ${Math.round(this.options.maxWaitMs / 1000)} s (other instances hold them)`,
            this.options.busyRetryAfterSeconds,
          ),
        );
      }
      for (const [rowKey, lane] of gate.lanes) if (lane.leasedUntil <= now && !lane.busy) gate.lanes.delete(rowKey);
      if (!gate.saving) {
        const lanes = [...gate.lanes.values()].filter((l) => l.leasedUntil > now);
        const idle = gate.waiters.length === 0 ? lanes.filter((l) => !l.busy && now - l.lastUsed >= this.options.idleMs) : [];
        // (A lane lost while a request ran on it has leasedUntil 0: it is not renewed, and goes when the request ends.)
        const renew = lanes.filter((l) => !idle.includes(l) && l.leasedUntil - now < this.options.leaseMs / 2);
        if (idle.length > 0 || renew.length > 0) {
          // A lane being handed back takes no new request meanwhile.
          for (const l of idle) l.leasedUntil = 0;
          gate.saving = true;
          void Promise.all([this.save(mailbox, gate, idle, true), this.save(mailbox, gate, renew, false)]).finally(() => {
            gate.saving = false;
          });
        }
      }
      if (gate.waiters.length > 0) this.pump(mailbox, gate);
      else if (gate.lanes.size === 0) this.gates.delete(mailbox);
    }
  }

  /** Writes the lanes' records in one transaction: renewed (holder kept, lease extended) or handed back. */
  private async save(mailbox: string, gate: Gate, lanes: Lane[], handBack: boolean): Promise<void> {
    if (lanes.length === 0) return;
    const now = this.now();
    const rowOf = (l: Lane): LaneRow => ({
      holder: handBack ? '' : this.instance,
      until: handBack ? now : now + this.options.leaseMs,
      spent: this.serialize(l, now),
    });
    const actions = lanes.map((l): TransactionAction => ['update', { partitionKey: mailbox, rowKey: l.rowKey, ...rowOf(l) }, 'Replace', { etag: l.etag }]);
    const apply = (l: Lane, etag: string | undefined) => {
      if (handBack || etag === undefined) gate.lanes.delete(l.rowKey);
      else {
        l.etag = etag;
        l.leasedUntil = now + this.options.leaseMs;
      }
    };
    try {
      const res = await this.table.submitTransaction(actions);
      lanes.forEach((l, i) => apply(l, res.subResponses[i]?.etag));
    } catch {
      // One lane was taken meanwhile (its lease ran out), or the table did not answer: each on its own.
      for (const l of lanes) {
        try {
          const res = await this.table.updateEntity({ partitionKey: mailbox, rowKey: l.rowKey, ...rowOf(l) }, 'Replace', { etag: l.etag });
          apply(l, res.etag);
        } catch {
          // Lost: another instance holds it now (a busy request on it finishes; the lane is not used again).
          if (!l.busy || handBack) gate.lanes.delete(l.rowKey);
          else l.leasedUntil = 0;
        }
      }
    }
  }

  private serialize(lane: Lane, now: number): string {
    const horizon = Math.max(this.limits.requestWindowMs, this.limits.uploadWindowMs);
    const kept: [number, number, number][] = [];
    for (const [bucket, s] of lane.spent) {
      if (bucket + this.bucketMs + horizon > now) kept.push([bucket, s.requests, s.bytes]);
      else lane.spent.delete(bucket);
    }
    return JSON.stringify(kept);
  }
}

/** The code of the budget's own 429: no request was sent. */
export const BUDGET_BUSY = 'MailboxBudgetBusy';

/** Answered like Exchange's 429, so the importer re-queues the item with the delay instead of holding an invocation. */
function busyError(why: string, retryAfterSeconds: number): HttpError {
  return new HttpError(`the mailbox's Graph budget is busy: ${why}`, 429, BUDGET_BUSY, retryAfterSeconds);
}

function parseSpent(text: string): Map<number, Spent> {
  const spent = new Map<number, Spent>();
  try {
    for (const [bucket, requests, bytes] of JSON.parse(text) as [number, number, number][]) spent.set(bucket, { requests, bytes });
  } catch {
    // A record that cannot be read counts as nothing spent; Exchange's 429 is the backstop.
  }
  return spent;
}
