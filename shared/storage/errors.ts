/** Status checks on errors of the Azure Storage SDKs (all raise RestError with a statusCode). */
export function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === status;
}
