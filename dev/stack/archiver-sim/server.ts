/**
 * The archiver simulator: an HTTP server on 127.0.0.1 implementing docs/archiver-source.md for the
 * three seed products, with seeded data and switchable faults (throttling, outages, slow answers,
 * expired tokens, connections reset mid-download, items repeated across pages).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from './errors';
import { authorize, handleSignIn } from './handlers/auth';
import { handleListItems } from './handlers/items';
import { handleDownload } from './handlers/attachments';
import { SeededItemSource, type ItemSource } from './item-source';
import { faultsSchema, simulatorOptionsSchema, type Faults, type SimulatorOptionsInput } from './options';
import { Random } from './random';
import { emptyStats, type SimulatorState, type SimulatorStats } from './state';

export interface ArchiverSimulator {
  url: string;
  port: number;
  stats: SimulatorStats;
  source: ItemSource;
  setFaults(faults: Partial<Faults>): void;
  close(): Promise<void>;
}

export async function startArchiverSimulator(input: SimulatorOptionsInput & { port?: number } = {}): Promise<ArchiverSimulator> {
  const options = simulatorOptionsSchema.parse(input);
  const state: SimulatorState = {
    options,
    source: new SeededItemSource({
      seed: options.seed,
      itemsPerDay: options.itemsPerDay,
      largeAttachmentBytes: Math.round(options.largeAttachmentMb * 1024 * 1024),
    }),
    random: new Random(options.seed ^ 0x5eed),
    tokens: new Map(),
    downloadAttempts: new Map(),
    stats: emptyStats(),
  };
  const server = createServer((req, res) => {
    route(req, res, state).catch((err: Error) => {
      if (!res.headersSent) errors.internal(res);
      else res.destroy(err);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(input.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: state.stats,
    source: state.source,
    setFaults(faults) {
      state.options.faults = faultsSchema.parse({ ...state.options.faults, ...faults });
    },
    close: () => closeServer(server),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/api/v1/auth/token') return handleSignIn(req, res, state);
  const items = /^\/api\/v1\/products\/([^/]+)\/items$/.exec(url.pathname);
  const attachment = /^\/api\/v1\/attachments\/([^/]+)$/.exec(url.pathname);
  if (req.method !== 'GET' || (!items && !attachment)) return errors.notFound(res, `no route ${req.method} ${url.pathname}`);
  if (!authorize(req, res, state)) return;
  if (await injectFault(res, state)) return;
  if (items) return handleListItems(url, decodeURIComponent(items[1]), req, res, state);
  return handleDownload(decodeURIComponent(attachment![1]), req, res, state);
}

/** Applies the configured faults to one request; true when the fault already answered it. */
async function injectFault(res: ServerResponse, state: SimulatorState): Promise<boolean> {
  const f = state.options.faults;
  if (state.random.chance(f.slowRate)) {
    state.stats.faults.slow++;
    await sleep(f.slowMs);
  }
  const roll = state.random.next();
  if (roll < f.rate429) {
    state.stats.faults.throttled++;
    errors.throttled(res, f.retryAfterSeconds);
    return true;
  }
  if (roll < f.rate429 + f.rate500) {
    state.stats.faults.serverErrors++;
    errors.internal(res);
    return true;
  }
  if (roll < f.rate429 + f.rate500 + f.rate503) {
    state.stats.faults.unavailable++;
    errors.unavailable(res, f.retryAfterSeconds);
    return true;
  }
  return false;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
