/**
 * The command line of every tool (`npm start`, `npm run mapping`, ...), on Node's own parser
 * (util.parseArgs, strict): `--help`/`-h` prints the help on stdout and does nothing else (exit 0);
 * an unknown option, a missing value or a wrong number of arguments is refused on stderr (exit 2)
 * before anything is touched. Exit codes scripts can rely on: 0 done, 1 done with failures (or the
 * command's own "no"), 2 usage or configuration refused.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Ends the command with this exit code; what to say was already printed. */
export class CommandExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'CommandExit';
  }
}

/** A refusal of the command line: printed on stderr with the usage line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  /** One line: `npm run mapping -- import <connector> <file.csv>`. */
  usage: string;
  /** What the command does and what each option means, for --help. */
  help: string;
  options: O;
  /** How many positional arguments it takes (default none). */
  positionals?: { min: number; max: number };
}

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

export function parseCommandLine<O extends ParseArgsOptionsConfig>(spec: CommandSpec<O>, argv: string[] = process.argv.slice(2)): Parsed<O> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: ${spec.usage}\n\n${spec.help}`);
    throw new CommandExit(EXIT.ok);
  }
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (err) {
    refuse(spec, (err as Error).message);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  const n = parsed.positionals.length;
  if (n < min) refuse(spec, `missing argument${min - n > 1 ? 's' : ''}`);
  if (n > max) refuse(spec, `unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  return parsed;
}

function refuse(spec: CommandSpec<ParseArgsOptionsConfig>, message: string): never {
  console.error(`${message}\nusage: ${spec.usage} (--help for more)`);
  throw new CommandExit(EXIT.usage);
}

/** A whole number option within bounds, or the default when absent; refuses anything else. */
export function wholeNumber(value: string | undefined, name: string, fallback: number, range: { min: number; max?: number }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
    throw new UsageError(`${name} must be a whole number from ${range.min}${range.max === undefined ? '' : ` to ${range.max}`}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** Runs a command's main and exits with its code; a CommandExit ends quietly, a UsageError with exit 2, any other error with 1. */
export function runCommand(main: () => Promise<number>, options: { stack?: boolean } = {}): void {
  // Through a promise, so a main that throws before its first await ends the same way.
  Promise.resolve()
    .then(main)
    .then(
      (code) => process.exit(code),
      (err: Error) => {
        if (err instanceof CommandExit) process.exit(err.code);
        if (err instanceof UsageError) {
          console.error(err.message);
          process.exit(EXIT.usage);
        }
        console.error(options.stack ? (err.stack ?? err.message) : err.message);
        process.exit(EXIT.failed);
      },
    );
}
