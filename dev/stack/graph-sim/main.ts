/** Runs the Graph simulator on its own: node dist/dev/stack/graph-sim/main.js [--port N] [--dump DIR] */
import { flag, serveUntilSignal } from '../serve';
import { graphSimOptionsFromEnv } from './options';
import { startGraphSimulator } from './server';

serveUntilSignal('graph simulator', () =>
  startGraphSimulator({ ...graphSimOptionsFromEnv(process.env), port: Number(flag('--port') ?? 7602), dumpDir: flag('--dump') }),
);
