/**
 * The one schema of a raw item (docs/archiver-source.md). The converter reads it in full, so a bad
 * item is rejected with a reason naming the field instead of producing a broken message; the
 * fetcher reads only the part it needs to store the item (its header), derived from the same schema.
 */
import { z } from 'zod';
import { jsonErrorReason } from '../text/json-error';
import { isAddressable } from '../text/email';
import { productById, type ItemTypeDefinition, type ProductDefinition } from '../catalogue/products';

export class BadRawItemError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BadRawItemError';
  }
}

/** Phone numbers as the archiver gives them, cleaned of spacing: "+44 7700 900123" -> "+447700900123". */
const phoneNumber = z
  .string()
  .transform((v) => v.replace(/[\s().-]/g, ''))
  .refine((v) => /^\+?[0-9]{3,15}$/.test(v), 'must be a phone number (digits, optionally with a leading +)');

const instant = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 timestamp');

/** An email we can address; anything else is treated as no email (the participant is still shown). */
const email = z
  .string()
  .nullish()
  .transform((v) => (v && isAddressable(v.trim()) ? v.trim().toLowerCase() : null));

const text = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => v ?? null);

const participant = z.object({ number: phoneNumber, name: text(512), email });

const attachment = z.object({
  id: z.string().min(1).max(256),
  name: text(1024),
  contentType: text(255),
  size: z.number().int().nonnegative(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
    .transform((v) => v.toLowerCase()),
  /** Length of an audio or video attachment (a recording, a voicemail), as the archiver measured it. */
  durationSeconds: z
    .number()
    .nonnegative()
    .max(7 * 86400)
    .nullish()
    .transform((v) => v ?? null),
});

const rawItemSchema = z.object({
  id: z.string().min(1).max(256),
  product: z.string(),
  type: z.string(),
  timestamp: instant,
  archivedAt: instant.nullish(),
  /** The archived (registered) line the item was captured on; direction is relative to it. */
  archivedLine: phoneNumber.nullish().transform((v) => v ?? null),
  direction: z
    .enum(['inbound', 'outbound'])
    .nullish()
    .transform((v) => v ?? null),
  conversation: z
    .object({ id: z.string().min(1).max(256), name: text(512), kind: z.enum(['direct', 'group']) })
    .nullish()
    .transform((v) => v ?? null),
  from: phoneNumber,
  participants: z.array(participant).min(1).max(1000),
  text: text(4 * 1024 * 1024),
  attachments: z
    .array(attachment)
    .max(1000)
    .nullish()
    .transform((v) => v ?? []),
  call: z
    .object({
      start: instant,
      end: instant.nullish(),
      durationSeconds: z
        .number()
        .nonnegative()
        .max(7 * 86400)
        .nullish(),
      outcome: z.enum(['answered', 'missed', 'rejected']),
      recordingAttachmentId: z.string().nullish(),
    })
    .nullish()
    .transform((v) => v ?? null),
  deleted: z
    .object({ deletedAt: instant, deletedBy: phoneNumber.nullish(), originalText: text(4 * 1024 * 1024) })
    .nullish()
    .transform((v) => v ?? null),
  edited: z
    .object({ editedAt: instant, previousText: text(4 * 1024 * 1024) })
    .nullish()
    .transform((v) => v ?? null),
});

/** What the fetcher needs to store an item: its id and time (for the path) and its attachments (to download them). */
const rawItemHeaderSchema = rawItemSchema.pick({ id: true, timestamp: true, attachments: true });

export type RawItem = z.infer<typeof rawItemSchema>;
export type Participant = RawItem['participants'][number];
export type RawAttachment = RawItem['attachments'][number];

export interface ValidItem {
  item: RawItem;
  product: ProductDefinition;
  itemType: ItemTypeDefinition;
  timestamp: Date;
}

const EARLIEST = Date.parse('1990-01-01T00:00:00Z');

/** Parses a line with one of the schemas; throws BadRawItemError naming every bad field. */
function parse<T extends z.ZodType>(schema: T, bytes: Buffer): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new BadRawItemError(jsonErrorReason(err));
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new BadRawItemError(parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'} ${i.message}`).join('; '));
  }
  return parsed.data;
}

function checkAttachmentIds(attachments: readonly RawAttachment[]): void {
  const ids = new Set<string>();
  for (const a of attachments) {
    if (ids.has(a.id)) throw new BadRawItemError(`attachment id ${a.id} appears twice`);
    ids.add(a.id);
  }
}

/** The archived line takes part in the conversation, and direction says whether it sent the item. */
function checkArchivedLine(item: RawItem): void {
  const line = item.archivedLine;
  if (line === null) return;
  if (!item.participants.some((p) => p.number === line)) throw new BadRawItemError('archivedLine is not one of the participants');
  const sent = line === item.from;
  if (item.direction !== null && (item.direction === 'outbound') !== sent) {
    throw new BadRawItemError(`direction is ${item.direction}, but the archived line ${sent ? 'is' : 'is not'} the sender`);
  }
}

export interface RawItemHeader {
  id: string;
  timestamp: Date;
  attachments: RawAttachment[];
}

/** The fetcher's reading of a line: enough to store it and its attachments; throws BadRawItemError. */
export function readRawItemHeader(line: Buffer): RawItemHeader {
  const header = parse(rawItemHeaderSchema, line);
  checkAttachmentIds(header.attachments);
  return { id: header.id, timestamp: new Date(header.timestamp), attachments: header.attachments };
}

/** Parses and validates a raw item of the given product; throws BadRawItemError with the reason. */
export function readRawItem(bytes: Buffer, expectedProduct: string, now: Date = new Date()): ValidItem {
  const item = parse(rawItemSchema, bytes);
  if (item.product !== expectedProduct) throw new BadRawItemError(`product is "${item.product}", but the connector archives "${expectedProduct}"`);
  const product = productById(item.product);
  if (!product) throw new BadRawItemError(`unknown product "${item.product}"`);
  const itemType = product.itemTypes[item.type];
  if (!itemType) throw new BadRawItemError(`unknown item type "${item.type}" for ${product.displayName} (known: ${Object.keys(product.itemTypes).join(', ')})`);
  const timestamp = new Date(item.timestamp);
  if (timestamp.getTime() < EARLIEST || timestamp.getTime() > now.getTime() + 86_400_000) {
    throw new BadRawItemError(`timestamp ${item.timestamp} is impossible (before 1990 or more than a day in the future)`);
  }
  checkAttachmentIds(item.attachments);
  if (!item.participants.some((p) => p.number === item.from)) {
    // The sender is a participant even when the archiver lists only the others.
    item.participants.unshift({ number: item.from, name: null, email: null });
  }
  checkArchivedLine(item);
  return { item, product, itemType, timestamp };
}
