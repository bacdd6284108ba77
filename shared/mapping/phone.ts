/**
 * Phone numbers to E.164 with libphonenumber-js. Accepted: "+447700900123", "00447700900123",
 * the vendor's format with the country code but no "+" ("447700900123"), and national numbers in
 * the default region ("07700 900123" with region GB). Digits without "+" are read as international
 * first (the vendor's format) unless they start with the trunk prefix 0 or only the national
 * reading is valid.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export function toE164(raw: string, defaultRegion: CountryCode): string | undefined {
  const cleaned = raw.trim().replace(/[\s().\-/]/g, '');
  if (!/^(\+|00)?\d{4,17}$/.test(cleaned)) return undefined;
  if (cleaned.startsWith('+') || cleaned.startsWith('00')) {
    const n = parsePhoneNumberFromString(cleaned.replace(/^00/, '+'));
    return n?.isPossible() ? n.number : undefined;
  }
  const international = parsePhoneNumberFromString(`+${cleaned}`);
  const national = parsePhoneNumberFromString(cleaned, defaultRegion);
  if (cleaned.startsWith('0')) return national?.isPossible() ? national.number : undefined;
  if (international?.isValid()) return international.number;
  if (national?.isValid()) return national.number;
  if (international?.isPossible()) return international.number;
  return national?.isPossible() ? national.number : undefined;
}
