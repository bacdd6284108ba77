/**
 * Why a text is not JSON, without quoting it: V8's JSON.parse errors include a snippet of the input,
 * which for an archived item is message text (personal data) and must not reach logs.
 */
export function jsonErrorReason(err: unknown): string {
  const position = /position (\d+)/.exec((err as Error)?.message ?? '')?.[1];
  const end = /Unexpected end of JSON input/.test((err as Error)?.message ?? '');
  return end ? 'not JSON (it ends too early)' : position !== undefined ? `not JSON (error at byte ${position})` : 'not JSON';
}
