import { setTimeout } from 'node:timers/promises';

/** A delay that ends early, without an error, when the signal aborts, so stopping the host never waits out a poll. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await setTimeout(ms, undefined, { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
