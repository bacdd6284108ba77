import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { patternBytes } from '../../fixtures/items';
import { HELD_PART_BYTES, readPart, takeOutLargeParts } from '../../../shared/mime/large-parts';
import { readItemMessage, readLargeItemMessage } from '../../../shared/mime/read-message';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** base64 in 76-character lines, as a MIME writer folds it. */
const folded = (b: Buffer) => (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

function message(parts: { type: string; encoding: string; body: string; name?: string }[]): Buffer {
  const head = [
    'From: "Archive" <archive@mobile-archive.invalid>',
    'To: olivia@contoso.example',
    'Subject: A call recording',
    'Date: Tue, 10 Mar 2026 09:00:00 +0000',
    'Message-ID: <call-1@mobile-archive.invalid>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '',
  ].join('\r\n');
  const body = parts
    .map((p) =>
      [
        '--b1',
        `Content-Type: ${p.type}${p.name ? `; name="${p.name}"` : ''}`,
        `Content-Transfer-Encoding: ${p.encoding}`,
        ...(p.name ? [`Content-Disposition: attachment; filename="${p.name}"`] : []),
        '',
        p.body,
      ].join('\r\n'),
    )
    .join('\r\n');
  return Buffer.from(`${head}${body}\r\n--b1--\r\n`);
}

/** A stream in uneven chunks, as a download arrives. */
const streamOf = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 65_521) }, (_, i) => b.subarray(i * 65_521, (i + 1) * 65_521)));

describe('large .eml parts: measured on the way, read again when sent, never held', () => {
  const recording = patternBytes(HELD_PART_BYTES + 1_234_567, 7);
  const photo = patternBytes(40_000, 3);
  const eml = message([
    { type: 'text/plain; charset=utf-8', encoding: 'quoted-printable', body: 'Call of 12 minutes.' },
    { type: 'image/jpeg', encoding: 'base64', body: folded(photo), name: 'photo.jpg' },
    { type: 'audio/mpeg', encoding: 'base64', body: folded(recording), name: 'call.mp3' },
  ]);

  it('takes out only the large part, with its decoded size and SHA-256', async () => {
    const { reduced, parts } = await takeOutLargeParts(streamOf(eml));
    assert.deepEqual(
      parts.map((p) => [p.leaf, p.size, p.sha256]),
      [[2, recording.length, sha(recording)]],
    );
    assert.ok(reduced.length < 80_000, `${reduced.length} bytes left`);
    assert.ok(reduced.includes(Buffer.from('Call of 12 minutes.')));
  });

  it('reads the message as a whole read would, with the large attachment streamed', async () => {
    const whole = await readItemMessage(eml);
    const streamed = await readLargeItemMessage(streamOf(eml), async () => streamOf(eml));
    assert.equal(streamed.subject, whole.subject);
    assert.equal(streamed.text, whole.text);
    assert.deepEqual(
      streamed.attachments.map((a) => [a.filename, a.mimeType, a.size, a.sha256]),
      whole.attachments.map((a) => [a.filename, a.mimeType, a.size, a.sha256]),
    );
    const [small, large] = streamed.attachments;
    assert.deepEqual(small.content, photo, 'a small attachment is held');
    assert.equal(large.content, undefined, 'the large one is not');
    const chunks: Buffer[] = [];
    for await (const c of large.read()) chunks.push(c);
    assert.ok(chunks.length > 1, 'read in chunks');
    assert.deepEqual(Buffer.concat(chunks), recording);
  });

  it('reads a part from an offset (an upload resumed where the server asks)', async () => {
    const offset = 3_000_001;
    const chunks: Buffer[] = [];
    for await (const c of readPart(async () => streamOf(eml), 2, offset)) chunks.push(c);
    assert.deepEqual(Buffer.concat(chunks), recording.subarray(offset));
  });

  it('stops downloading at the end of the part', async () => {
    let served = 0;
    const longer = Buffer.concat([
      eml.subarray(0, eml.length - '\r\n--b1--\r\n'.length),
      Buffer.from(`\r\n--b1\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(8_000_000)}\r\n--b1--\r\n`),
    ]);
    const counting = () => {
      const s = streamOf(longer);
      s.on('data', (c: Buffer) => (served += c.length));
      return s;
    };
    for await (const c of readPart(async () => counting(), 1)) assert.ok(c.length > 0);
    assert.ok(served < longer.length / 2, `${served} of ${longer.length} bytes read for a 40 kB part`);
  });

  it('a read that does not match what was measured fails instead of sending other bytes', async () => {
    const streamed = await readLargeItemMessage(streamOf(eml), async () => streamOf(tampered()));
    const large = streamed.attachments[1];
    await assert.rejects(async () => {
      for await (const c of large.read()) assert.ok(c);
    }, /SHA-256/);
  });

  function tampered(): Buffer {
    // The same layout, one byte of the recording changed.
    const changed = Buffer.from(recording);
    changed[1000] ^= 0xff;
    return message([
      { type: 'text/plain; charset=utf-8', encoding: 'quoted-printable', body: 'Call of 12 minutes.' },
      { type: 'image/jpeg', encoding: 'base64', body: folded(photo), name: 'photo.jpg' },
      { type: 'audio/mpeg', encoding: 'base64', body: folded(changed), name: 'call.mp3' },
    ]);
  }

  it('a large body text, not an attachment, falls back to reading the message whole', async () => {
    const text = 'word '.repeat(Math.ceil((HELD_PART_BYTES + 100) / 5));
    const big = message([{ type: 'text/plain; charset=utf-8', encoding: '7bit', body: text.match(/.{1,900}/g)!.join('\r\n') }]);
    const streamed = await readLargeItemMessage(streamOf(big), async () => streamOf(big));
    const whole = await readItemMessage(big);
    assert.equal(streamed.text, whole.text);
    assert.ok(streamed.text.length > HELD_PART_BYTES);
  });
});
