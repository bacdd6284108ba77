/**
 * An address we can write into a header unquoted and hand to Graph: a local part without spaces,
 * quotes, brackets or separators, and a dotted domain of letters, digits and hyphens. Stricter than
 * RFC 5322 on purpose: anything else is treated as no address (raw items) or refused (mapping CSVs).
 */
const ADDRESSABLE = /^[^\s<>()",;:\\@[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function isAddressable(address: string): boolean {
  return ADDRESSABLE.test(address);
}
