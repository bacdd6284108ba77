/** Runs the archiver simulator on its own: node dist/dev/archiver-sim/main.js [--port N] */
import { simulatorOptionsFromEnv } from './options';
import { startArchiverSimulator } from './server';

async function main(): Promise<void> {
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 7601;
  const sim = await startArchiverSimulator({ ...simulatorOptionsFromEnv(process.env), port });
  console.log(`archiver simulator listening on ${sim.url}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
