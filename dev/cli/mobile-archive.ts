#!/usr/bin/env node
/**
 * `mobile-archive <command>`: the one command-line tool (package.json "bin"; `npm run cli -- <command>`
 * in a clone). Each command is its own module with its own --help; this picks it and hands over the
 * rest of the line.
 */
import { join } from 'node:path';

const COMMANDS: Record<string, { file: string; what: string }> = {
  status: { file: 'operator', what: "each connector's state, last and next run, counts, unmapped and failed" },
  runs: { file: 'operator', what: 'runs with their counts per connector' },
  items: { file: 'operator', what: 'per-item outcomes by run, connector, outcome, number or mailbox' },
  unmapped: { file: 'operator', what: 'items that mapped to no mailbox, with why' },
  failures: { file: 'operator', what: 'what a stage gave up on, with reasons, and the poison queues' },
  'test-connection': { file: 'operator', what: "a connector's archiver sign-in, journal mailbox or landing container" },
  redrive: { file: 'redrive', what: 'queue again unmapped, failed or poisoned items' },
  mapping: { file: 'mapping', what: 'import, show or export a custom phone-to-mailbox mapping' },
  selftest: { file: 'selftest', what: 'check which Graph import strategies work on a test mailbox' },
  'export-eml': { file: 'export-eml', what: 'write the converted messages to a folder as .eml files' },
  bench: { file: 'bench', what: 'run the pipeline on the local stack and print throughput figures' },
};

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  console.log(`usage: mobile-archive <command> [options]   (each command has --help)\n`);
  for (const [name, c] of Object.entries(COMMANDS)) console.log(`  ${name.padEnd(width)}  ${c.what}`);
  console.log(`\nStorage commands take --target local|azure (default local) and, for azure, --account NAME.`);
  console.log(`Exit codes: 0 done and nothing needs attention, 1 done with something that does, 2 a wrong command line.`);
  process.exitCode = command === undefined ? 2 : 0;
} else if (!COMMANDS[command]) {
  console.error(`mobile-archive: unknown command ${JSON.stringify(command)}; mobile-archive --help lists them`);
  process.exitCode = 2;
} else {
  // The command module reads process.argv as if it had been started itself; operator commands keep their name.
  const file = COMMANDS[command].file;
  process.argv = [process.argv[0], join(__dirname, `${file}.js`), ...(file === 'operator' ? [command] : []), ...rest];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the command runs on load, as when started by node
  require(join(__dirname, `${file}.js`));
}
