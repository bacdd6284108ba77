/**
 * Calls a registered handler the way the Node.js worker does: with the trigger input and an
 * InvocationContext carrying the trigger metadata, and reports each invocation as an event.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { RegisteredFunction } from './functions-core';
import { asShare } from '../storage-accounting';

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical';
export type LogSink = (level: LogLevel, functionName: string, message: string) => void;

export interface InvocationEnd {
  functionName: string;
  invocationId: string;
  durationMs: number;
  error?: Error;
}

export class Invoker extends EventEmitter {
  private activeCount = 0;
  private lastEnd = 0;

  constructor(private readonly logSink: LogSink) {
    super();
  }

  get active(): number {
    return this.activeCount;
  }

  /** Time of the last invocation end (ms epoch), 0 if none. */
  get lastInvocationEnd(): number {
    return this.lastEnd;
  }

  /** Runs the handler and returns what it returned (an HTTP function's response). */
  async invoke(fn: RegisteredFunction, input: unknown, triggerMetadata: Record<string, unknown>): Promise<unknown> {
    // Required lazily (after the core module is installed), and required rather than imported: an
    // import() would load a second copy of the package beside the one the functions registered with.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { InvocationContext } = require('@azure/functions') as typeof import('@azure/functions');
    const invocationId = randomUUID();
    const { trigger } = fn;
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      triggerMetadata,
      options: {
        trigger: trigger,
        extraInputs: Object.values(fn.bindings).filter((b) => b !== trigger && b.direction === 'in'),
        extraOutputs: Object.values(fn.bindings).filter((b) => b.direction === 'out'),
      },
      logHandler: (level, ...args) => this.logSink(level as LogLevel, fn.name, args.map(String).join(' ')),
    });
    const started = Date.now();
    this.activeCount++;
    this.emit('start', { functionName: fn.name, invocationId });
    try {
      // Everything the handler starts is the app's own storage work (npm run bench counts it apart).
      const result = await asShare('app', () => fn.handler(input, context));
      this.finish({ functionName: fn.name, invocationId, durationMs: Date.now() - started });
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logSink('error', fn.name, `invocation failed: ${error.message}`);
      this.finish({ functionName: fn.name, invocationId, durationMs: Date.now() - started, error });
      throw error;
    }
  }

  private finish(end: InvocationEnd): void {
    this.activeCount--;
    this.lastEnd = Date.now();
    this.emit('end', end);
  }
}
