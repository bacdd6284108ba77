/**
 * encodeURIComponent that cannot throw: a lone surrogate (invalid UTF-16, which a source can send)
 * becomes U+FFFD first. Used for every key, path and header value built from source ids.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value.toWellFormed());
}
