/**
 * How participants are read from a vendor-delivered email (SFTP ZIP or journal mailbox), as data per
 * connector (`CONNECTOR__<ID>__EML_RULES`): the vendor's full header inventory and its display
 * formats other than the default `First Last Mobile <email>` are not public (docs/sources.md), so a
 * customer who learns theirs changes these rules instead of the code.
 */
import { z } from 'zod';
import type { SettingSchema } from './schemas';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,76}$/, 'must be a header name');
const domain = z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name');

export const emlRulesSchema = z
  .object({
    /** Headers that name participants (address lists), in order; the first address of the first header is the sender. */
    participantHeaders: z.array(headerName).min(1).max(10).default(['From', 'To', 'Cc']),
    /** Words the vendor appends to a registered user's name ("Alice Example Mobile"); removed from the shown name. */
    nameSuffixes: z.array(z.string().min(1).max(40)).max(10).default(['Mobile']),
    /** Where a phone number may be written: the display name ("+44 7700 900123") and/or the address's local part ("447700900123@..."). */
    numberIn: z
      .array(z.enum(['name', 'localPart']))
      .max(2)
      .default(['name', 'localPart']),
    /** Domains whose addresses only carry a number (an outside party's placeholder), never a mailbox. */
    numberOnlyDomains: z.array(domain).max(20).default([]),
    /** A message with any of these headers is a journal report: the original is its message/rfc822 part. */
    journalHeaders: z.array(headerName).max(10).default(['X-MS-Journal-Report']),
    /** Also treat a message whose only message/rfc822 part follows a text/plain envelope as a journal report. */
    journalByShape: z.boolean().default(true),
  })
  .strict();

export type EmlRules = z.infer<typeof emlRulesSchema>;

export const DEFAULT_EML_RULES: EmlRules = emlRulesSchema.parse({});

/** The setting's value type: JSON, every field optional (the defaults above fill the rest). */
export const emlRules: SettingSchema<EmlRules> = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(emlRulesSchema);
