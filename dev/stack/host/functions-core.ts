/**
 * Provides the `@azure/functions-core` module that the Azure Functions Node.js worker injects into
 * the app. `@azure/functions` registers every `app.*(...)` call through it; by supplying it
 * ourselves, the dev host receives exactly the binding metadata and handler the real host
 * receives, so a queue name, blob path or schedule is declared once, in functions/*.ts.
 */
import { registerHooks } from 'node:module';

export interface BindingInfo {
  type: string;
  direction: 'in' | 'out';
  name: string;
  [key: string]: unknown;
}

export type Handler = (input: unknown, context: unknown) => unknown;

export interface RegisteredFunction {
  name: string;
  bindings: Record<string, BindingInfo>;
  trigger: BindingInfo;
  handler: Handler;
}

type HookCallback = (context: unknown) => unknown;

class Registry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
}

const registry = new Registry();
let installed = false;

const disposable = (dispose: () => void) => ({ dispose });

export const coreApi = {
  version: 'dev-host',
  hostVersion: 'dev-host',
  setProgrammingModel(): void {},
  getProgrammingModel(): undefined {
    return undefined;
  },
  registerFunction(metadata: { name: string; bindings: Record<string, Omit<BindingInfo, 'name'>> }, handler: Handler) {
    const bindings: Record<string, BindingInfo> = {};
    for (const [name, b] of Object.entries(metadata.bindings)) bindings[name] = { ...b, name } as BindingInfo;
    const trigger = Object.values(bindings).find((b) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function "${metadata.name}" has no trigger binding`);
    if (registry.functions.has(metadata.name)) throw new Error(`function "${metadata.name}" is registered twice`);
    registry.functions.set(metadata.name, { name: metadata.name, bindings, trigger, handler });
    return disposable(() => registry.functions.delete(metadata.name));
  },
  registerHook(hookName: string, callback: HookCallback) {
    const list = registry.hooks.get(hookName) ?? [];
    list.push(callback);
    registry.hooks.set(hookName, list);
    return disposable(() => list.splice(list.indexOf(callback), 1));
  },
  log(level: string, category: string, message: string): void {
    if (level === 'error' || level === 'critical') console.error(`[${category}] ${message}`);
  },
};

/** Where Node's module hooks resolve `@azure/functions-core` to: a module that hands out coreApi. */
const CORE_URL = 'mac-dev-host:functions-core';

/**
 * Must run before anything requires `@azure/functions`, which looks the core module up once.
 * Node's public module hooks answer the look-up; nothing of the loader is patched.
 * https://nodejs.org/docs/latest-v22.x/api/module.html#moduleregisterhooksoptions
 */
export function installFunctionsCore(): Registry {
  if (installed) return registry;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === '@azure/functions-core') return { url: CORE_URL, format: 'commonjs', shortCircuit: true };
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      if (url === CORE_URL) return { format: 'commonjs', source: `module.exports = require(${JSON.stringify(__filename)}).coreApi;`, shortCircuit: true };
      return nextLoad(url, context);
    },
  });
  installed = true;
  return registry;
}

export async function runHooks(hookName: string, context: unknown): Promise<void> {
  for (const hook of registry.hooks.get(hookName) ?? []) await hook(context);
}

export type { Registry };
