import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { fixtureItems } from '../../fixtures/items';
import { assertStandardMessage, renderFixture, sha256 } from '../../helpers/mime';
import { products } from '../../../shared/catalogue/products';

// Golden files live in the source tree (compiled tests run from dist/). UPDATE_GOLDEN=1 rewrites them.
const goldenDir = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('converter golden messages (one per item type of the seed products)', () => {
  it('covers every item type of enterprise-number, o2-network and whatsapp', () => {
    for (const id of ['enterprise-number', 'o2-network', 'whatsapp']) {
      const types = Object.keys(products.find((p) => p.id === id)!.itemTypes).sort();
      const covered = fixtureItems
        .filter((f) => f.product === id)
        .map((f) => f.raw.type as string)
        .sort();
      assert.deepEqual(covered, types, id);
    }
  });

  for (const fixture of fixtureItems) {
    const name = `${fixture.product}--${fixture.raw.type}`;
    it(`${name}: byte-exact, standards-valid, and round-trips through an independent parser`, async () => {
      const { eml, plan } = await renderFixture(fixture);
      const file = join(goldenDir, `${name}.eml`);
      if (update) writeFileSync(file, eml);
      assert.ok(existsSync(file), `no golden file ${name}.eml (UPDATE_GOLDEN=1 npm test writes it)`);
      assert.ok(eml.equals(readFileSync(file)), `${name}.eml differs from the golden file (UPDATE_GOLDEN=1 npm test rewrites it after a deliberate change)`);
      assertStandardMessage(eml);

      const parsed = await PostalMime.parse(eml);
      assert.equal(parsed.subject, plan.subject);
      assert.equal(parsed.messageId, plan.messageId);
      assert.equal(new Date(parsed.date!).toISOString(), new Date(fixture.raw.timestamp as string).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
      assert.deepEqual(parsed.from, { address: plan.from.address, name: plan.from.name });
      assert.deepEqual(
        parsed.to?.map((a) => ({ address: (a as { address: string }).address, name: a.name })),
        plan.to.map((a) => ({ address: a.address, name: a.name })),
      );
      const header = (n: string) => parsed.headers.find((h) => h.key === n.toLowerCase())?.value;
      assert.equal(header('X-MobileArchive-Item-Id'), encodeURIComponent(fixture.raw.id as string));
      assert.equal(header('X-MobileArchive-Participants'), (fixture.raw.participants as { number: string }[]).map((p) => p.number).join(', '));
      assert.equal(header('X-MobileArchive-Raw-SHA256'), plan.auditHeaders.find(([k]) => k === 'X-MobileArchive-Raw-SHA256')![1]);
      if (fixture.raw.text) assert.ok(parsed.text!.replace(/\r\n/g, '\n').includes(fixture.raw.text as string), 'message text in the body');
      for (const kept of [
        (fixture.raw.deleted as { originalText?: string } | null)?.originalText,
        (fixture.raw.edited as { previousText?: string } | null)?.previousText,
      ]) {
        if (kept) assert.ok(parsed.text!.includes(kept), 'deleted/edited text shown');
      }
      assert.equal(parsed.attachments.length, fixture.attachments.length);
      for (const a of fixture.attachments) {
        const got = parsed.attachments.find((p) => p.filename === a.name);
        assert.ok(got, `attachment ${a.name}`);
        assert.equal(got.mimeType, a.contentType);
        assert.equal(sha256(got.content as ArrayBuffer), sha256(a.content), `${a.name} content`);
      }
    });
  }

  it('marks deleted messages and shows calls as a readable table', async () => {
    const deleted = await renderFixture(fixtureItems.find((f) => f.raw.type === 'whatsapp-deleted-message')!);
    const text = (await PostalMime.parse(deleted.eml)).text!;
    assert.match(text, /--- DELETED MESSAGE ---\r?\nDeleted at: 2026-11-20 09:20:00.000 UTC\r?\nDeleted by: Olivia Bennett \(\+447700900101\)/);
    const missed = await renderFixture(fixtureItems.find((f) => f.raw.type === 'voice-call-log' && f.product === 'enterprise-number')!);
    assert.equal(missed.plan.subject, 'Missed call from +33639980150 to Olivia Bennett (+447700900101)');
    assert.match((await PostalMime.parse(missed.eml)).html!, /<th[^>]*>Outcome<\/th><td[^>]*>missed<\/td>/);
  });
});
