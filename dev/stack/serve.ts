import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Runs a local server as its own process until SIGINT/SIGTERM (the simulators' main files). */
export function serveUntilSignal(name: string, start: () => Promise<{ url: string; close(): Promise<void> }>): void {
  start().then(
    (server) => {
      console.log(`${name} listening on ${server.url}`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}

/** The value after a command-line flag, if present. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Starts a server's main file (e.g. "archiver-sim/main.js") as a child process on a free port; resolves with its URL. */
export async function spawnServer(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(__dirname, script), '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (c: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(c.toString());
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url, proc };
}
