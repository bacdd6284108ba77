/** Runs the archiver simulator on its own: node dist/dev/stack/archiver-sim/main.js [--port N] */
import { flag, serveUntilSignal } from '../serve';
import { simulatorOptionsFromEnv } from './options';
import { startArchiverSimulator } from './server';

serveUntilSignal('archiver simulator', () => startArchiverSimulator({ ...simulatorOptionsFromEnv(process.env), port: Number(flag('--port') ?? 7601) }));
