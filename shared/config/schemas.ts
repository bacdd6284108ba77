/**
 * The value types of app settings: each parses the raw string of an environment variable and says,
 * in words an operator can act on, what is wrong with it.
 */
import { z } from 'zod';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { parseNcrontab } from './ncrontab';

export type SettingSchema<T> = z.ZodType<T, string>;

export const bool: SettingSchema<boolean> = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1');

function wholeNumber(min: 0 | 1, max: number): SettingSchema<number> {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);
}

export const positiveInt = (max: number): SettingSchema<number> => wholeNumber(1, max);
export const nonNegativeInt = (max: number): SettingSchema<number> => wholeNumber(0, max);

export const httpUrl: SettingSchema<string> = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL')
  // A user name or password belongs in its own (secret) setting, never inside a URL that is logged.
  .refine((v) => !/^[a-z]+:\/\/[^/?#]*@/i.test(v), 'must not carry a user name or password (put them in their own settings)')
  .transform((v) => v.replace(/\/+$/, ''));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or plain http to this machine only (the local simulators): credentials never cross a network in clear. */
export const serviceUrl: SettingSchema<string> = httpUrl.refine((v) => {
  const u = new URL(v);
  return u.protocol === 'https:' || LOOPBACK_HOSTS.has(u.hostname);
}, 'must use https (plain http is allowed only for 127.0.0.1 / localhost)');

export const guid: SettingSchema<string> = z
  .string()
  .trim()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A Key Vault reference that reaches the app unresolved means the platform could not read the secret. */
export const secret: SettingSchema<string> = nonEmpty.refine(
  (v) => !v.startsWith('@Microsoft.KeyVault('),
  'is an unresolved Key Vault reference: give the app identity the "Key Vault Secrets User" role on the vault and check the secret URI',
);

export const isoInstant: SettingSchema<Date> = z
  .string()
  .trim()
  .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 UTC timestamp, e.g. 2026-01-01T00:00:00Z')
  .transform((v) => new Date(v));

export const ncrontab: SettingSchema<string> = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    try {
      parseNcrontab(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

export const region: SettingSchema<CountryCode> = z
  .string()
  .trim()
  .toUpperCase()
  .refine((v) => isSupportedCountry(v), 'must be an ISO 3166 alpha-2 region code that has phone numbers, e.g. GB or US')
  // isSupportedCountry has just said so.
  .transform((v) => v);

/** One of a fixed list, with the list in the message. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): SettingSchema<T[number]> {
  const message = values.length === 2 ? `must be ${values[0]} or ${values[1]}` : `must be one of ${values.join(', ')}`;
  return z.enum(values, { error: message });
}
