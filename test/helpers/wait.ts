import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until the condition holds; fails with the description after timeoutMs. Bounded by design. */
export async function waitUntil(description: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${description}`);
}
