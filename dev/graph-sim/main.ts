/** Runs the Graph simulator on its own: node dist/dev/graph-sim/main.js [--port N] [--dump DIR] */
import { graphSimOptionsFromEnv } from './options';
import { startGraphSimulator } from './server';

async function main(): Promise<void> {
  const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const sim = await startGraphSimulator({ ...graphSimOptionsFromEnv(process.env), port: Number(arg('--port') ?? 7602), dumpDir: arg('--dump') });
  console.log(`graph simulator listening on ${sim.url}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
