/**
 * Azurite's entry point, run in a child process that shuts down as soon as its parent is gone,
 * however the parent ended (Ctrl-C, a crash, SIGKILL), so a stopped `npm start` never leaves Azurite
 * holding its ports. The IPC channel closes when the parent dies.
 *
 * Azurite keeps its tables and blob and queue metadata in memory and saves them every 5 s; a plain
 * exit would lose the last seconds of writes it had acknowledged (Azure Storage never does), and the
 * next session would redo work whose effects elsewhere (a mailbox copy) had been kept. Its own
 * shutdown (SIGTERM) saves them first. While it runs, <location>/azurite.pid names this process, so
 * the next Azurite on the same data waits for the save to end (startAzurite).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AZURITE_PID_FILE } from './azurite-pid';
import { lightenLokiRemovals } from './loki-removals';

const at = process.argv.indexOf('--location');
const pidFile = at > 0 ? join(process.argv[at + 1], AZURITE_PID_FILE) : undefined;
if (pidFile) {
  writeFileSync(pidFile, String(process.pid));
  process.on('exit', () => rmSync(pidFile, { force: true }));
}

process.on('disconnect', () => {
  // The parent's end of stdout and stderr is gone: Azurite's shutdown messages must not kill it with EPIPE before it saves.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  console.log = () => undefined;
  console.error = () => undefined;
  setTimeout(() => process.exit(0), 10_000).unref();
  process.kill(process.pid, 'SIGTERM');
});

// Before Azurite loads its stores: removals that do not re-sort whole collections (loki-removals.ts).
lightenLokiRemovals();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Azurite's own entry point, run for its effect
require('azurite/dist/src/azurite.js');
