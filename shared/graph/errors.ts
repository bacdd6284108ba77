/** Graph answered 429/503 with a Retry-After too long to wait inside an invocation: re-queue instead. */
export class GraphThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Graph asked to retry after ${retryAfterSeconds} s`);
    this.name = 'GraphThrottledError';
  }
}

/** The parts of a Graph SDK error (GraphError) the importer acts on. */
export function graphStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

export function graphCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

/** A failure after which the request may or may not have been carried out. */
export function isAmbiguous(err: unknown): boolean {
  const s = graphStatus(err);
  return s === undefined || s === 500 || s === 502 || s === 504;
}
