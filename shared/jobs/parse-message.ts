import type { z } from 'zod';

/** Validates a queue message against its contract; the error names every bad field. */
export function parseMessage<T extends z.ZodType>(schema: T, what: string, message: unknown): z.infer<T> {
  const result = schema.safeParse(message);
  if (!result.success) {
    throw new Error(`malformed ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(message)'} ${i.message}`).join('; ')}`);
  }
  return result.data;
}
