/**
 * Runs Azurite (from node_modules) as a child process on 127.0.0.1, telemetry off. Ports 0 let
 * the OS pick free ports, which the tests use; `npm start` uses the ports of its connection string.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AZURITE_PID_FILE } from './azurite-pid';
import { sleep } from './host/sleep';

/**
 * Azurite's built-in development account. The key is the public, documented emulator key, not a
 * secret: https://learn.microsoft.com/en-us/azure/storage/common/storage-use-azurite#http-connection-strings
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  connectionString: string;
  stop(): Promise<void>;
}

export function connectionStringFor(ports: AzuritePorts): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${ports.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${ports.table}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

/** The Azurite ports a connection string points at (UseDevelopmentStorage=true means the defaults). */
export function portsOfConnectionString(cs: string): AzuritePorts {
  if (cs.trim() === 'UseDevelopmentStorage=true') return { blob: 10000, queue: 10001, table: 10002 };
  const port = (service: string): number => {
    const m = new RegExp(`${service}Endpoint=https?://(?:127\\.0\\.0\\.1|localhost):(\\d+)`, 'i').exec(cs);
    if (!m) throw new Error(`AzureWebJobsStorage has no local ${service}Endpoint (http://127.0.0.1:<port>/...); the local stack only runs against Azurite`);
    return Number(m[1]);
  };
  return { blob: port('Blob'), queue: port('Queue'), table: port('Table') };
}

export async function startAzurite(options: { ports?: AzuritePorts; location?: string } = {}): Promise<RunningAzurite> {
  const ports = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const args = [
    require.resolve('./azurite-child'),
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    await previousAzuriteGone(options.location);
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '4096');
  }
  // Its own process group: Ctrl-C on a terminal goes to the foreground group, and Azurite must
  // outlive the app's graceful stop (the caller stops it last), not die first under running invocations.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  // The IPC channel is only there so the child notices when this process dies; it must not keep us alive.
  child.channel?.unref();
  const actual = await new Promise<AzuritePorts>((resolve, reject) => {
    const found: Partial<AzuritePorts> = {};
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/g)) {
        found[m[1].toLowerCase() as keyof AzuritePorts] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        child.stdout!.off('data', onData);
        resolve(found as AzuritePorts);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`Azurite exited (code ${code}) before it was ready:\n${output.trim()}`)));
    child.once('error', reject);
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { ports: actual, connectionString: connectionStringFor(actual), stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * An Azurite whose parent just died saves its data while it shuts down, after it has stopped
 * listening: starting another on the same folder before it is gone would load the data unsaved.
 */
async function previousAzuriteGone(location: string, timeoutMs = 15_000): Promise<void> {
  const file = join(location, AZURITE_PID_FILE);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let pid: number;
    try {
      pid = Number(readFileSync(file, 'utf8'));
    } catch {
      return;
    }
    try {
      process.kill(pid, 0);
    } catch {
      return; // gone without removing its file (kill -9)
    }
    await sleep(100);
  }
  throw new Error(`the Azurite of process ${readFileSync(file, 'utf8')} still uses ${location} after ${timeoutMs / 1000} s; stop it, then start again`);
}
