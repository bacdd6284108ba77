import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { exportMessages, type MessageContainer } from '../../dev/stack/export-messages';

function container(blobs: Record<string, string | Error>): MessageContainer {
  return {
    async *listBlobsFlat() {
      for (const name of Object.keys(blobs)) yield { name };
    },
    getBlobClient: (name) => ({
      download: async () => {
        const content = blobs[name];
        if (content instanceof Error) throw content;
        return { readableStreamBody: Readable.from([Buffer.from(content)]) };
      },
    }),
  };
}

describe('export:eml', () => {
  it('writes only inside the target folder, skips and reports bad names and failed downloads, and exports the rest', async () => {
    const base = mkdtempSync(join(tmpdir(), 'mac-export-'));
    const target = join(base, 'out');
    try {
      const result = await exportMessages(
        container({
          'enterprise/2026/11/20/a.eml': 'A',
          '../escaped.eml': 'X',
          'enterprise/../../escaped2.eml': 'X',
          'o2/..\\..\\escaped3.eml': 'X',
          '/etc/escaped4.eml': 'X',
          'o2/2026/11/20/broken.eml': new Error('HTTP 500'),
          'whatsapp/2026/11/20/b.eml': 'B',
        }),
        target,
      );
      assert.equal(result.exported, 2);
      assert.deepEqual(
        result.skipped.map((s) => s.name),
        ['../escaped.eml', 'enterprise/../../escaped2.eml', 'o2/..\\..\\escaped3.eml', '/etc/escaped4.eml', 'o2/2026/11/20/broken.eml'],
      );
      assert.match(result.skipped.at(-1)!.reason, /HTTP 500/);
      assert.equal(readFileSync(join(target, 'enterprise', '2026', '11', '20', 'a.eml'), 'utf8'), 'A');
      assert.equal(readFileSync(join(target, 'whatsapp', '2026', '11', '20', 'b.eml'), 'utf8'), 'B');
      assert.deepEqual(readdirSync(base), ['out'], 'nothing was written beside the target');
      assert.ok(!existsSync(join(target, 'escaped3.eml')));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
