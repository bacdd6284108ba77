import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EML_RULES, emlRulesSchema } from '../../../shared/config/eml-rules';
import { readVendorEmail } from '../../../shared/items/vendor-email';
import { checkManifest, findManifest } from '../../../shared/fetching/zip-manifest';

const eml = (headers: string, body = 'hello') => Buffer.from(`${headers.trim().split('\n').join('\r\n')}\r\n\r\n${body}\r\n`);

describe('vendor email participants (EML_RULES)', () => {
  it('reads the default display format, numbers in names and local parts, and drops the "Mobile" suffix', async () => {
    const e = await readVendorEmail(
      eml(`From: Alice Example Mobile <alice.example@contoso.example>
To: "+44 7700 900456" <447700900456@sms.telemetry.invalid>, Bob Sample Mobile <bob.sample@contoso.example>
Cc: 12025550150@sms.telemetry.invalid
Date: Tue, 03 Nov 2026 15:05:00 +0000
Message-ID: <m1@x.invalid>`),
      emlRulesSchema.parse({ numberOnlyDomains: ['sms.telemetry.invalid'] }),
    );
    assert.deepEqual(
      e.participants.map((p) => [p.header, p.name, p.number, p.email]),
      [
        ['From', 'Alice Example', null, 'alice.example@contoso.example'],
        ['To', '+44 7700 900456', '+447700900456', null],
        ['To', 'Bob Sample', null, 'bob.sample@contoso.example'],
        ['Cc', '', '+12025550150', null],
      ],
    );
    assert.equal(e.date?.toISOString(), '2026-11-03T15:05:00.000Z');
  });

  it('keeps a national number national (the importer reads it in MAPPING_DEFAULT_REGION)', async () => {
    const e = await readVendorEmail(eml(`From: "07700 900123" <07700900123@x.invalid>\nDate: Tue, 03 Nov 2026 15:05:00 +0000`), DEFAULT_EML_RULES);
    assert.equal(e.participants[0].number, '07700900123');
  });

  it('reports an unknown layout with the header names it saw, not a guess', async () => {
    await assert.rejects(
      readVendorEmail(eml(`X-Sender-Number: 447700900123\nSubject: hi\nDate: Tue, 03 Nov 2026 15:05:00 +0000`), DEFAULT_EML_RULES),
      /unknown-layout: .*headers seen: X-Sender-Number, Subject, Date/,
    );
  });

  it('refuses an email that carries our provenance headers (they would redirect the import)', async () => {
    await assert.rejects(
      readVendorEmail(eml(`From: a@contoso.example\nX-MobileArchive-Participants: <ceo@contoso.example>`), DEFAULT_EML_RULES),
      /spoofed-provenance/,
    );
  });

  it('says what is not MIME', async () => {
    await assert.rejects(readVendorEmail(Buffer.from('PK\u0003\u0004binary'), DEFAULT_EML_RULES), /not-mime: /);
  });
});

describe('ZIP manifest, as the vendor states it', () => {
  const entry = (name: string, size = 10) => ({ name, isDirectory: false, compressedSize: size, uncompressedSize: size, crc32: 0 });
  const entries = [entry('a.eml'), entry('b.eml'), entry('x.mf', 30)];

  it('takes the Count: line and the listed names, with their manifest lines', () => {
    const check = checkManifest(entries, findManifest(entries), '\uFEFFCount: 2\r\nb.eml\r\na.eml\r\n');
    assert.deepEqual(
      check.emls.map((e) => [e.entry.name, e.line]),
      [
        ['b.eml', 2],
        ['a.eml', 3],
      ],
    );
  });

  it('is case-sensitive about Count:', () => {
    assert.throws(() => checkManifest(entries, findManifest(entries), 'count: 2\na.eml\nb.eml'), /manifest-count-missing/);
  });

  it('refuses a name listed twice', () => {
    assert.throws(() => checkManifest(entries, findManifest(entries), 'Count: 2\na.eml\na.eml'), /manifest-duplicate/);
  });
});
