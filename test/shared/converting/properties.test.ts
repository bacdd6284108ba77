import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import PostalMime from 'postal-mime';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { assertStandardMessage, headerLines, renderFixture, sha256 } from '../../helpers/mime';
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

/** Every bidi control: marks, embeddings, overrides, isolates and the Arabic letter mark. */
const bidi = fc.string({
  unit: fc.constantFrom(
    '\u200e',
    '\u200f',
    '\u061c',
    '\u202a',
    '\u202b',
    '\u202c',
    '\u202d',
    '\u202e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
    'ع',
    'א',
    '1',
    ' ',
  ),
});

/** Words far longer than an encoded-word or a line: Latin, Arabic, CJK and emoji without a space. */
const longWord = fc.string({ unit: fc.constantFrom('a', 'ع', '漢', '😀', '-'), minLength: 80, maxLength: 1200 });

const field: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: nasty }, { weight: 1, arbitrary: bidi }, { weight: 1, arbitrary: longWord });

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
  'x-mobilearchive-archived-line',
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

type Fields = Record<
  'id' | 'senderName' | 'otherName' | 'conversationName' | 'text' | 'filename' | 'contentType' | 'conversationId' | 'previous' | 'original' | 'email',
  string
>;

const base = fixtureItems.find((f) => f.raw.type === 'whatsapp-file')!;

/** Renders an item with these fields, checks everything a reader relies on, and returns the boundaries it used. */
async function renderAndCheck(f: Fields): Promise<string[]> {
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
  raw.deleted = { deletedAt: '2026-11-20T09:16:03.000Z', deletedBy: '+12025550150', originalText: f.original };
  raw.attachments[0].name = f.filename;
  raw.attachments[0].contentType = f.contentType;
  const fixture: FixtureItem = { ...base, raw };
  const { eml, plan } = await renderFixture(fixture);
  assertStandardMessage(eml);
  for (const line of headerLines(eml, ['Subject', 'Thread-Topic'])) assert.ok(line.length <= 78, `header line of ${line.length}`);

  const parsed = await PostalMime.parse(eml);
  assert.deepEqual([...new Set(parsed.headers.map((h) => h.key))].sort(), TOP_LEVEL_HEADERS, 'no header added or lost');
  assert.equal(parsed.headers.length, TOP_LEVEL_HEADERS.length, 'each header once');
  assert.equal(parsed.subject, oneLine(plan.subject));
  assert.equal(parsed.from?.name, oneLine(plan.from.name));
  assert.equal(parsed.messageId, plan.messageId);
  assert.equal(parsed.attachments.length, 1, 'one attachment, no part added or lost');
  assert.equal(parsed.attachments[0].filename, oneLine(plan.attachments[0].filename) || null);
  assert.equal(sha256(parsed.attachments[0].content as ArrayBuffer), sha256(base.attachments[0].content));
  const body = normalizeText(parsed.text ?? '');
  assert.ok(body.includes(normalizeText(f.text)), 'message text survives');
  assert.ok(body.includes(normalizeText(f.previous)), 'text before the edit survives');
  assert.ok(body.includes(normalizeText(f.original)), 'original text of the deleted message survives');
  for (const n of ['+447700900101', '+12025550150', '+61491570101']) assert.ok(body.includes(n), `${n} whole in the text`);
  return [...new Set([...eml.toString('ascii').matchAll(/boundary="?([^";\s]+)"?/gi)].map((m) => m[1]))];
}

/** The same fields, each carrying the delimiter lines of the message they first made. */
function withBoundaries(f: Fields, boundaries: string[]): Fields {
  const lines = boundaries.flatMap((b) => [`--${b}`, `--${b}--`]).join('\r\n');
  const out = { ...f };
  for (const key of Object.keys(f) as (keyof Fields)[]) {
    // The id stays: a boundary drawn from the item's identity alone would then be the same again.
    if (key !== 'id') out[key] = `${f[key]}\r\n${lines}\r\n`;
  }
  return out;
}

describe('converter properties (fast-check)', () => {
  it('any text in any source field (CR/LF, bidi controls, lone surrogates, very long words, its own boundaries) gives a valid message that round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: field.filter((s) => s.length > 0 && s.length <= 120),
          senderName: field,
          otherName: field,
          conversationName: field,
          text: field,
          filename: field,
          contentType: nasty,
          conversationId: field.filter((s) => s.length > 0 && s.length <= 60),
          previous: field,
          original: field,
          email: nasty,
        }),
        async (f) => {
          const boundaries = await renderAndCheck(f);
          await renderAndCheck(withBoundaries(f, boundaries));
        },
      ),
      // CI runs a fixed seed; PROPERTY_RUNS / PROPERTY_SEED explore further.
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100), seed: Number(process.env.PROPERTY_SEED ?? 4242) },
    );
  });
});
