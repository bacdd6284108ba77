/**
 * Phone numbers to E.164 with libphonenumber-js. Accepted: "+447911123456", "00447911123456",
 * the vendor's format with the country code but no "+" ("447911123456"), and national numbers in
 * the default region ("07911 123456" with region GB). Digits without "+" are read as international
 * first (the vendor's format) unless they start with the trunk prefix 0 or only the national
 * reading is valid.
 *
 * Two strictnesses: a number an administrator maps (mapping CSV) must be *valid*, i.e. in a range
 * a carrier can assign, so a typo or a fictional number (UK 07700 900xxx, Ofcom's drama range, is
 * possible but not valid) is refused at upload. A number the archiver reports on an item only has
 * to be *possible*: the item was really sent, and it must still be read and kept.
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js';

export type NumberCheck = 'valid' | 'possible';

export function toE164(raw: string, defaultRegion: CountryCode, check: NumberCheck = 'possible'): string | undefined {
  const cleaned = raw.trim().replace(/[\s().\-/]/g, '');
  if (!/^(\+|00)?\d{4,17}$/.test(cleaned)) return undefined;
  const accepted = (n: PhoneNumber | undefined) => (check === 'valid' ? n?.isValid() : n?.isPossible()) ?? false;
  if (cleaned.startsWith('+') || cleaned.startsWith('00')) {
    const n = parsePhoneNumberFromString(cleaned.replace(/^00/, '+'));
    return accepted(n) ? n!.number : undefined;
  }
  const international = parsePhoneNumberFromString(`+${cleaned}`);
  const national = parsePhoneNumberFromString(cleaned, defaultRegion);
  if (cleaned.startsWith('0')) return accepted(national) ? national!.number : undefined;
  if (international?.isValid()) return international.number;
  if (national?.isValid()) return national.number;
  if (accepted(international)) return international!.number;
  return accepted(national) ? national!.number : undefined;
}
