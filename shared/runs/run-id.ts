import { randomBytes } from 'node:crypto';

/** Run ids sort by start time and stay unique when two runs start in the same second. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
