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
