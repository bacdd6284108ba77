/** An administrator's request to run the import self-test in Azure: a message on the selftest-requests queue. */
import { z } from 'zod';
import { parseMessage } from './parse-message';

export const selfTestRequestSchema = z.object({
  /** The designated test mailbox (UPN or address); the self-test writes to it and removes what it wrote. */
  mailbox: z
    .string()
    .trim()
    .min(3)
    .max(320)
    .regex(/^[^@\s]+@[^@\s]+$/, 'must be a mailbox address'),
});

export type SelfTestRequest = z.infer<typeof selfTestRequestSchema>;

export function parseSelfTestRequest(message: unknown): SelfTestRequest {
  return parseMessage(selfTestRequestSchema, 'self-test request', message);
}
