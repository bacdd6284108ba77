/**
 * A fetch window: the half-open time range [from, to) of one connector's items that one run
 * fetches. Windows chain: the next starts where the last complete one ended (the watermark).
 */
export interface Window {
  from: Date;
  to: Date;
}
