import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import PostalMime from 'postal-mime';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { assertStandardMessage, renderFixture, sha256 } from '../../helpers/mime';
import { oneLine, wellFormed } from '../../../shared/mime/encoding';

/** Strings that go for the seams: CR, LF, NUL, quotes, semicolons, encoded-word markers, RTL, emoji, lone surrogates. */
const nasty = fc.string({
  unit: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\u0000',
        '"',
        ';',
        ':',
        '\\',
        '=?',
        '?=',
        '<',
        '>',
        ',',
        '--',
        '\t',
        ' ',
        '\u2028',
        '\u202e',
        '😀',
        'é',
        '漢',
        '\ud800',
      ),
    },
    { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
  ),
  maxLength: 400,
});

const TOP_LEVEL_HEADERS = [
  'date',
  'from',
  'to',
  'message-id',
  'subject',
  'mime-version',
  'in-reply-to',
  'references',
  'thread-topic',
  'thread-index',
  'x-mobilearchive-connector',
  'x-mobilearchive-product',
  'x-mobilearchive-item-type',
  'x-mobilearchive-item-id',
  'x-mobilearchive-timestamp',
  'x-mobilearchive-direction',
  'x-mobilearchive-sender',
  'x-mobilearchive-participants',
  'x-mobilearchive-conversation-id',
  'x-mobilearchive-raw-blob',
  'x-mobilearchive-raw-sha256',
  'content-type',
].sort();

const normalizeText = (s: string) =>
  wellFormed(s)
    .replace(/\u0000/g, '\uFFFD')
    .replace(/\r\n|\r/g, '\n');

describe('converter properties (fast-check)', () => {
  it('any text in any source field gives a valid message with exactly our headers, and round-trips', async () => {
    const base = fixtureItems.find((f) => f.raw.type === 'whatsapp-file')!;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: nasty.filter((s) => s.length > 0 && s.length <= 256),
          senderName: nasty,
          otherName: nasty,
          conversationName: nasty,
          text: nasty,
          filename: nasty,
          contentType: nasty,
          conversationId: nasty.filter((s) => s.length > 0 && s.length <= 256),
          previous: nasty,
          email: nasty,
        }),
        async (f) => {
          const raw = structuredClone(base.raw) as Record<string, unknown> & { attachments: Record<string, unknown>[] };
          raw.id = f.id;
          raw.text = f.text;
          raw.conversation = { id: f.conversationId, name: f.conversationName, kind: 'group' };
          raw.participants = [
            { number: '+447700900101', name: f.senderName, email: f.email },
            { number: '+12025550150', name: f.otherName, email: null },
            { number: '+61491570101', name: null, email: 'wei.chen@contoso.example' },
          ];
          raw.edited = { editedAt: '2026-11-20T09:15:03.000Z', previousText: f.previous };
          raw.attachments[0].name = f.filename;
          raw.attachments[0].contentType = f.contentType;
          const fixture: FixtureItem = { ...base, raw };
          const { eml, plan } = await renderFixture(fixture);
          assertStandardMessage(eml);

          const parsed = await PostalMime.parse(eml);
          assert.deepEqual([...new Set(parsed.headers.map((h) => h.key))].sort(), TOP_LEVEL_HEADERS, 'no header added or lost');
          assert.equal(parsed.headers.length, TOP_LEVEL_HEADERS.length, 'each header once');
          assert.equal(parsed.subject, oneLine(plan.subject));
          assert.equal(parsed.from?.name, oneLine(plan.from.name));
          assert.equal(parsed.messageId, plan.messageId);
          assert.equal(parsed.attachments.length, 1);
          assert.equal(parsed.attachments[0].filename, oneLine(plan.attachments[0].filename) || null);
          assert.equal(sha256(parsed.attachments[0].content as ArrayBuffer), sha256(base.attachments[0].content));
          const body = normalizeText(parsed.text ?? '');
          assert.ok(body.includes(normalizeText(f.text)), 'message text survives');
          assert.ok(body.includes(normalizeText(f.previous)), 'text before the edit survives');
        },
      ),
      // CI runs a fixed seed; PROPERTY_RUNS / PROPERTY_SEED explore further.
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150), seed: Number(process.env.PROPERTY_SEED ?? 4242) },
    );
  });
});
