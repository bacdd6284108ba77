import type { ItemSource } from './item-source';
import type { SimulatorOptions } from './options';
import type { Random } from './random';

/** What the handlers share: options (faults can change at run time), the item source, tokens, counters. */
export interface SimulatorState {
  options: SimulatorOptions;
  source: ItemSource;
  random: Random;
  tokens: Map<string, number>;
  downloadAttempts: Map<string, number>;
  stats: SimulatorStats;
}

export interface SimulatorStats {
  signIns: number;
  signInsRefused: number;
  pages: number;
  downloads: number;
  faults: {
    throttled: number;
    serverErrors: number;
    unavailable: number;
    slow: number;
    resets: number;
    duplicates: number;
    tokenExpired: number;
    gone: number;
    short: number;
    stalled: number;
    cutPages: number;
    trickled: number;
  };
}

export function emptyStats(): SimulatorStats {
  return {
    signIns: 0,
    signInsRefused: 0,
    pages: 0,
    downloads: 0,
    faults: {
      throttled: 0,
      serverErrors: 0,
      unavailable: 0,
      slow: 0,
      resets: 0,
      duplicates: 0,
      tokenExpired: 0,
      gone: 0,
      short: 0,
      stalled: 0,
      cutPages: 0,
      trickled: 0,
    },
  };
}
