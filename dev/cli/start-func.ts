/**
 * `npm run start:func`: for users with Azure Functions Core Tools. Starts the same local stack
 * as `npm start` (Azurite, storage layout, and the simulators), then hands over to `func start`,
 * which reads the same local.settings.json and the same compiled functions.
 */
import { spawn } from 'node:child_process';
import { SettingsError } from '../../shared/config/problems';
import { startLocalStack } from '../stack/local-stack';
import { appRoot } from '../stack/app-root';

async function main(): Promise<number> {
  // Everything after -- goes to func start; only --help is ours.
  if (process.argv[2] === '--help' || process.argv[2] === '-h') {
    console.log(`usage: npm run start:func [-- <func start options>]

Starts the local stack (Azurite, storage layout, simulators) like npm start, then runs
Azure Functions Core Tools' func start on the same local.settings.json and compiled functions.
Needs func (Core Tools v4) on PATH; without it, use npm start.`);
    return 0;
  }
  let stack;
  try {
    stack = await startLocalStack(appRoot);
  } catch (err) {
    console.error(err instanceof SettingsError ? `local.settings.json: ${err.message}` : `could not start the local stack: ${(err as Error).message}`);
    return 2;
  }
  for (const note of stack.notes) console.log(note);
  console.log('local stack is up; starting func start');
  const func = spawn('func', ['start', ...process.argv.slice(2)], { cwd: appRoot, stdio: 'inherit' });
  const code = await new Promise<number>((done) => {
    func.once('error', (err: NodeJS.ErrnoException) => {
      console.error(
        err.code === 'ENOENT'
          ? 'Azure Functions Core Tools ("func") is not on PATH. Install Core Tools v4, or run the app without it: npm start'
          : `could not run func: ${err.message}`,
      );
      done(127);
    });
    func.once('exit', (c) => done(c ?? 1));
  });
  process.removeAllListeners('SIGINT');
  await stack.stop();
  return code;
}

// Ctrl-C goes to func too (same process group); we only wait for it to exit, then stop the stack.
process.on('SIGINT', () => undefined);
void main().then((code) => process.exit(code));
