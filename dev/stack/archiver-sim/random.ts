import { createHash } from 'node:crypto';

/** Small seeded PRNG (mulberry32): the same seed gives the same simulated data on every machine. */
export class Random {
  private state: number;

  constructor(seed: number | string) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  }

  next(): number {
    let t = (this.state += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of entries) {
      if ((r -= w) < 0) return value;
    }
    return entries[entries.length - 1][0];
  }
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Whether `key` is among the `share` of keys `fault` applies to: the same answer every time, so a
 * fault sticks to its item; each fault draws on its own, so two faults' shares do not overlap by design.
 */
export function chosen(fault: string, key: string, share: number): boolean {
  // SHA-256, not hashString: keys that differ in one digit ("o2:5", "o2:10") must still spread evenly.
  return share > 0 && createHash('sha256').update(`${fault}:${key}`).digest().readUInt32BE(0) / 4294967296 < share;
}
