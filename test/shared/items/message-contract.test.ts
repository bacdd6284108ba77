import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { renderFixture } from '../../helpers/mime';
import { readRawItem } from '../../../shared/items/raw-item';
import { BadItemMessageError, itemOfMessage } from '../../../shared/items/message-contract';
import { readItemMessage } from '../../../shared/mime/read-message';

/** What the importer needs of an item, as the raw item says it. */
function expected(f: FixtureItem) {
  const { item, timestamp } = readRawItem(Buffer.from(JSON.stringify(f.raw)), f.product, new Date('2026-11-21T00:00:00Z'));
  return { participants: item.participants.map((p) => ({ number: p.number, email: p.email })), at: timestamp };
}

async function fromMessage(f: FixtureItem) {
  return itemOfMessage(await readItemMessage((await renderFixture(f)).eml));
}

describe('the converted message carries what the importer needs (participants, emails, time)', () => {
  for (const f of fixtureItems) {
    it(`${f.product} ${String(f.raw.type)}: the same participants and time as the raw item`, async () => {
      assert.deepEqual(await fromMessage(f), expected(f));
    });
  }

  it('a sender the archiver does not list, a number listed twice, and a group of 300', async () => {
    const base = fixtureItems.find((x) => x.raw.type === 'chat')!;
    const group = Array.from({ length: 300 }, (_, i) => ({
      number: `+4477009${String(i).padStart(5, '0')}`,
      name: i % 3 === 0 ? null : `Person ${i}, "quoted"`,
      email: i % 2 === 0 ? `person.${i}@contoso.example` : null,
    }));
    const item: FixtureItem = {
      ...base,
      attachments: [],
      raw: {
        ...base.raw,
        id: 'contract-group',
        attachments: [],
        from: '+447700900999',
        participants: [group[0], { ...group[1], email: 'first.copy@contoso.example' }, ...group.slice(1)],
        conversation: { id: 'g', name: 'Desk', kind: 'group' },
      },
    };
    const got = await fromMessage(item);
    assert.deepEqual(got, expected(item));
    assert.equal(got.participants[0].number, '+447700900999', 'the sender is put among the participants');
    assert.deepEqual(
      got.participants.filter((p) => p.number === group[1].number).map((p) => p.email),
      ['first.copy@contoso.example', null],
      'each listing keeps its own address',
    );
  });

  it('a message without the item headers is refused with the header named', async () => {
    const message = await readItemMessage(
      Buffer.from('From: a@contoso.example\r\nTo: b@contoso.example\r\nDate: Sat, 21 Nov 2026 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nhello\r\n'),
    );
    assert.throws(
      () => itemOfMessage(message),
      (err: Error) => err instanceof BadItemMessageError && /X-MobileArchive-Participants/.test(err.message),
    );
  });
});
