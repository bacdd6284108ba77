/** Graph answered 429/503 with a Retry-After too long to wait inside an invocation: re-queue instead. */
export class GraphThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Graph asked to retry after ${retryAfterSeconds} s`);
    this.name = 'GraphThrottledError';
  }
}

/**
 * The Retry-After of a throttling error, also after the Graph SDK re-wrapped it: the SDK turns an
 * error thrown by middleware into a GraphError whose code is the original error's name.
 */
export function throttledFor(err: unknown): number | undefined {
  if (err instanceof GraphThrottledError) return err.retryAfterSeconds;
  if (graphCode(err) !== 'GraphThrottledError') return undefined;
  const m = /retry after (\d+) s/.exec((err as Error).message ?? '');
  return m ? Number(m[1]) : undefined;
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
