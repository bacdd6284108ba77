import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { MessagePlan } from '../../shared/mime/message-plan';
import { convertLine } from '../../dev/render/gallery';
import type { FixtureItem } from '../fixtures/items';

export interface Rendered {
  eml: Buffer;
  plan: MessagePlan;
  line: Buffer;
  rawPath: string;
}

/** Renders a fixture item exactly as the converter does (same context), in memory. */
export async function renderFixture(f: FixtureItem): Promise<Rendered> {
  const line = Buffer.from(JSON.stringify(f.raw), 'utf8');
  const { plan, eml, rawPath } = convertLine(line, f.product, f.connectorId, (i) => Promise.resolve(Readable.from([f.attachments[i].content])));
  return { eml: await buffer(eml), plan, line, rawPath };
}

/**
 * What any RFC 5322 / MIME parser needs: 7-bit bytes, CRLF line endings only, no line over 998
 * octets, base64 bodies in lines of at most 76 characters, header lines that are fields or folds.
 */
export function assertStandardMessage(eml: Buffer): void {
  for (let i = 0; i < eml.length; i++) assert.ok(eml[i] < 0x80, `byte ${i} is not 7-bit`);
  const text = eml.toString('ascii');
  assert.ok(!/\r(?!\n)/.test(text), 'bare CR');
  assert.ok(!/(?<!\r)\n/.test(text), 'bare LF');
  const lines = text.split('\r\n');
  for (const [n, line] of lines.entries()) assert.ok(line.length <= 998, `line ${n + 1} has ${line.length} octets`);
  const boundaries = new Set<string>();
  let inHeaders = true;
  let base64Body = false;
  let partHeaders: string[] = [];
  for (const line of lines) {
    if (inHeaders) {
      if (line === '') {
        inHeaders = false;
        const unfolded = partHeaders.join('');
        for (const m of unfolded.matchAll(/boundary="?([^";\s]+)"?/gi)) boundaries.add(m[1]);
        base64Body = /content-transfer-encoding:\s*base64/i.test(unfolded);
        continue;
      }
      assert.match(line, /^([!-9;-~]+:|[ \t])/, `not a header line: ${line.slice(0, 80)}`);
      partHeaders.push(line);
      continue;
    }
    const boundary = /^--(.+?)(--)?$/.exec(line);
    if (boundary && boundaries.has(boundary[1])) {
      inHeaders = !boundary[2];
      partHeaders = [];
      base64Body = false;
      continue;
    }
    if (base64Body && line !== '') assert.match(line, /^[A-Za-z0-9+/=]{1,76}$/, 'base64 line');
  }
}

/** The physical lines (first line and folds) of these top-level headers. */
export function headerLines(eml: Buffer, names: readonly string[]): string[] {
  const lines = eml.toString('ascii').split('\r\n\r\n')[0].split('\r\n');
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: string[] = [];
  let current = false;
  for (const line of lines) {
    if (!/^[ \t]/.test(line)) current = wanted.has(line.slice(0, line.indexOf(':')).toLowerCase());
    if (current) out.push(line);
  }
  return out;
}

export const sha256 = (b: Uint8Array | ArrayBuffer | string) =>
  createHash('sha256')
    .update(typeof b === 'string' ? b : Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b))
    .digest('hex');
