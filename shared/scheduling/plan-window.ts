/**
 * Decides the next fetch window of one connector. Pure, so every edge (first run, catch-up after
 * missed days, a window still in flight, the safety lag) is tested without storage.
 *
 * Windows are half-open [from, to) and chain: the next window starts exactly where the last fully
 * fetched one ended (the watermark), so a failed or skipped day is covered by the next run.
 */
import type { Checkpoint } from '../windows/checkpoints';
import type { Window } from '../windows/window';

export interface PlanInput {
  checkpoint: Checkpoint | undefined;
  now: Date;
  safetyLagMinutes: number;
  initialLookbackHours: number;
  startFrom?: Date;
}

/** A claim left unsent this long is taken for a crashed scheduler (sending takes milliseconds). */
export const STALE_CLAIM_MS = 2 * 60_000;

export type Plan =
  | { action: 'dispatch'; window: Window }
  /** A window was claimed but its job may never have been sent (crash in between): send it again. */
  | { action: 'redispatch'; window: Window; runId: string }
  | { action: 'skip'; reason: 'in-flight' | 'nothing-new'; window?: Window };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function planWindow(input: PlanInput): Plan {
  const { checkpoint, now } = input;
  const inFlight = checkpoint?.inFlight;
  if (inFlight && inFlight.leaseUntil > now) {
    if (inFlight.state === 'claimed' && now.getTime() - inFlight.claimedAt.getTime() >= STALE_CLAIM_MS) {
      return { action: 'redispatch', window: { from: inFlight.from, to: inFlight.to }, runId: inFlight.runId };
    }
    return { action: 'skip', reason: 'in-flight', window: { from: inFlight.from, to: inFlight.to } };
  }
  // Whole seconds keep windows readable in reports and blob paths.
  const to = new Date(Math.floor((now.getTime() - input.safetyLagMinutes * MINUTE) / 1000) * 1000);
  const from = checkpoint?.watermark ?? input.startFrom ?? new Date(to.getTime() - input.initialLookbackHours * HOUR);
  if (from >= to) return { action: 'skip', reason: 'nothing-new' };
  return { action: 'dispatch', window: { from, to } };
}
