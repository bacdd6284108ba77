/**
 * The last line against a promise nobody awaited. The lint rule no-floating-promises keeps them out
 * of the code; should one still reject, Node's default is to end the process, and with it every
 * invocation running on the instance. Installed once, this guard keeps the process up: the
 * rejection is logged with the invocations running at that moment, and each of them fails (the
 * queue or the blob trigger retries it; every stage is idempotent), so the failure is seen and
 * counted instead of lost. https://nodejs.org/api/process.html#event-unhandledrejection
 */
import type { InvocationContext } from '@azure/functions';
import { describeFailure } from '../http/http-error';

interface Running {
  name: string;
  id: string;
  fail: (err: Error) => void;
}

const running = new Set<Running>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    const suspects = [...running].map((r) => `${r.name} ${r.id}`).join(', ') || 'none';
    const err = new Error(`unhandled promise rejection: ${describeFailure(reason)} (invocations running: ${suspects})`);
    console.error(err.message);
    for (const r of running) r.fail(err);
  });
}

/** Wraps a function's handler so that an unhandled rejection while it runs fails it, not the process. */
export function guarded<I, R = void>(handler: (input: I, context: InvocationContext) => Promise<R>): (input: I, context: InvocationContext) => Promise<R> {
  install();
  return async (input, context) => {
    let fail: (err: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    const entry: Running = { name: context.functionName, id: context.invocationId, fail };
    running.add(entry);
    try {
      return await Promise.race([handler(input, context), failed]);
    } finally {
      running.delete(entry);
      // Nobody waits on `failed` once the handler is done.
      failed.catch(() => undefined);
    }
  };
}
