import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PostalMime from 'postal-mime';
import { fixtureItems, type FixtureItem } from '../../fixtures/items';
import { assertStandardMessage, headerLines, renderFixture } from '../../helpers/mime';
import { SeededItemSource } from '../../../dev/stack/archiver-sim/item-source';
import { readRawItem } from '../../../shared/items/raw-item';
import { composeMessage } from '../../../shared/converting/compose';
import { participantLabel } from '../../../shared/converting/labels';
import { boundaryCollision } from '../../../shared/mime/render';
import { quotedPrintable } from '../../../shared/mime/encoding';

const fixture = (product: string, type: string): FixtureItem => structuredClone(fixtureItems.find((f) => f.product === product && f.raw.type === type)!);
const omar = { number: '+447700900103', name: 'عمر حداد', email: 'omar.haddad@contoso.example' };
const dalia = { number: '+972559876543', name: 'דליה לוי', email: null };
const olivia = { number: '+447700900101', name: 'Olivia Bennett', email: 'olivia.bennett@contoso.example' };
const harbor = { number: '+12025550150', name: 'Harbor Capital', email: null };
const boundariesOf = (eml: Buffer) => [...eml.toString('ascii').matchAll(/boundary="?([^";\s]+)"?/gi)].map((m) => m[1]);

describe('messages a reviewer can trust: no MIME boundary injection', () => {
  it('an item whose text carries the boundary lines of its own message cannot replace the content', async () => {
    const f = fixture('whatsapp', 'whatsapp-file');
    const first = await renderFixture(f);
    // The forged parts: what an adversary would want the importer to read instead.
    const forged = [...new Set(boundariesOf(first.eml))]
      .map((b) => `--${b}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nFORGED body\r\n--${b}--`)
      .join('\r\n');
    f.raw.text = `Blotter attached\r\n${forged}\r\nafter`;
    const { eml } = await renderFixture(f);
    assertStandardMessage(eml);
    const parsed = await PostalMime.parse(eml);
    assert.equal(parsed.attachments.length, 1, 'the real attachment is still there, and nothing else');
    assert.equal(parsed.attachments[0].filename, 'blotter; "Q3".csv');
    assert.ok(
      parsed.text!.replace(/\r\n/g, '\n').includes((f.raw.text as string).replace(/\r\n/g, '\n')),
      'the text is kept whole, forged lines included, as text',
    );
    assert.ok(!/^FORGED body$/m.test(parsed.text!.split('after')[1] ?? ''), 'no forged part after the text');
  });

  it('quoted-printable never starts a line with "-", wherever its soft line breaks fall', () => {
    for (let pad = 0; pad < 80; pad++) {
      const encoded = quotedPrintable(`${'x'.repeat(pad)}--boundary_abc\n-leading\nFrom here`);
      for (const line of encoded.split('\r\n')) {
        assert.ok(!line.startsWith('-'), `line starts with "-": ${line}`);
        assert.ok(line.length <= 76, `line of ${line.length}`);
        assert.ok(!line.startsWith('From '), 'From at a line start is encoded');
      }
    }
  });

  it('refuses a skeleton in which a content line looks like a boundary', () => {
    const ok = 'Content-Type: multipart/alternative; boundary=b1\r\n\r\n--b1\r\n\r\ntext\r\n--b1\r\n\r\nhtml\r\n--b1--\r\n';
    assert.equal(boundaryCollision(ok, ['b1']), null);
    assert.match(boundaryCollision(ok.replace('text', '--b1--'), ['b1'])!, /looks like the boundary b1/);
    assert.match(boundaryCollision(ok.replace('html', '--b1x'), ['b1'])!, /looks like the boundary b1/);
  });
});

describe('messages a reviewer can read: right-to-left names', () => {
  it('isolates every right-to-left name and its number, in headers, text and HTML, keeping numbers whole', async () => {
    const f = fixture('enterprise-number', 'chat');
    f.raw.participants = [olivia, omar, dalia];
    const { eml, plan } = await renderFixture(f);
    const parsed = await PostalMime.parse(eml);
    assert.equal(parsed.to![0].name, '\u2068عمر حداد\u2069 \u2066(+447700900103)\u2069');
    assert.equal(parsed.to![1].name, '\u2068דליה לוי\u2069 \u2066(+972559876543)\u2069');
    assert.equal(parsed.from!.name, 'Olivia Bennett (+447700900101)', 'a left-to-right name carries no invisible characters');
    const to = parsed.text!.split(/\r?\n/).find((l) => l.startsWith('To: '))!;
    assert.equal(to, 'To: \u2068عمر حداد\u2069 \u2066(+447700900103)\u2069, \u2068דליה לוי\u2069 \u2066(+972559876543)\u2069');
    for (const n of ['+447700900103', '+972559876543']) {
      assert.ok(parsed.text!.includes(n) && parsed.html!.includes(n) && parsed.to!.some((a) => a.name.includes(n)), `${n} searchable as typed`);
    }
    assert.ok(
      parsed.html!.includes('<bdi>عمر حداد</bdi> <span dir="ltr">(+447700900103)</span>, <bdi>דליה לוי</bdi> <span dir="ltr">(+972559876543)</span>'),
      'each name in <bdi>, each number left-to-right',
    );
    assert.match(plan.html, /<html lang="en" dir="ltr">/);
  });

  it('isolates a name that carries bidi controls of its own, so it cannot reorder what follows', () => {
    const label = participantLabel({ number: '+12025550150', name: 'Harbor\u202e Capital' });
    assert.equal(label.text, '\u2068Harbor\u202e Capital\u2069 \u2066(+12025550150)\u2069');
    assert.equal(label.html, '<bdi>Harbor\u202e Capital</bdi> <span dir="ltr">(+12025550150)</span>');
  });
});

describe('messages a reviewer can read: the archived line and direction', () => {
  it('names the archived line and states direction against it, the same in every copy', async () => {
    const f = fixture('enterprise-number', 'sms');
    f.raw.direction = 'inbound';
    f.raw.from = harbor.number;
    const { plan } = await renderFixture(f);
    assert.equal(plan.subject, 'SMS from Harbor Capital (+12025550150) to Olivia Bennett (+447700900101)');
    assert.match(plan.text, /^Archived line: Olivia Bennett \(\+447700900101\)$/m);
    assert.match(plan.text, /^Direction: inbound \(received by the archived line\)$/m);
    assert.deepEqual(
      plan.auditHeaders.find(([k]) => k === 'X-MobileArchive-Archived-Line'),
      ['X-MobileArchive-Archived-Line', '+447700900101'],
    );
  });

  it('refuses an item whose direction contradicts its archived line', () => {
    const f = fixture('enterprise-number', 'sms');
    f.raw.archivedLine = harbor.number;
    assert.throws(
      () => readRawItem(Buffer.from(JSON.stringify(f.raw)), 'enterprise-number', new Date('2026-11-21T00:00:00Z')),
      /direction is outbound, but the archived line is not the sender/,
    );
  });

  it('over a simulated day, no copy presents its mailbox owner as the other party or gets the direction wrong', async () => {
    const source = new SeededItemSource({ seed: 7, itemsPerDay: 150, largeAttachmentBytes: 0 });
    let copies = 0;
    for (const product of source.products()) {
      for (const sim of await source.listWindow(product, new Date('2026-11-20T00:00:00Z'), new Date('2026-11-21T00:00:00Z'))) {
        const raw = JSON.parse(sim.line) as {
          archivedLine: string;
          from: string;
          participants: { number: string; name: string | null; email: string | null }[];
        };
        const valid = readRawItem(Buffer.from(sim.line), product, new Date('2026-11-21T00:00:00Z'));
        const plan = composeMessage(valid, { connectorId: 'c', rawBlobPath: 'raw-items/c/x.json', rawSha256: '0'.repeat(64) });
        const line = raw.participants.find((p) => p.number === raw.archivedLine)!;
        assert.ok(plan.text.includes(`Archived line: ${participantLabel(line).text}\n`), `${sim.id} names its archived line`);
        const outbound = raw.from === raw.archivedLine;
        assert.ok(plan.text.includes(`Direction: ${outbound ? 'outbound' : 'inbound'} (`), `${sim.id} direction against the line`);
        const sender = raw.participants.find((p) => p.number === raw.from)!;
        for (const owner of raw.participants.filter((p) => p.email)) {
          copies++;
          const ownerLabel = participantLabel(owner).text;
          assert.ok(!plan.subject.includes(`with ${ownerLabel}`), `${sim.id}: "${plan.subject}" in ${owner.email}'s copy`);
          if (owner !== sender) assert.ok(!plan.subject.includes(`from ${ownerLabel}`), `${sim.id}: the owner is not presented as the sender`);
        }
        assert.ok(plan.subject.includes(`from ${participantLabel(sender).text}`), `${sim.id}: "${plan.subject}" names the sender`);
      }
    }
    assert.ok(copies > 300, `${copies} copies checked`);
  });
});

describe('messages a reviewer can read: the message first, and the small things', () => {
  it('opens the text and HTML parts with the message, then the metadata', async () => {
    const { eml } = await renderFixture(fixture('enterprise-number', 'sms'));
    const parsed = await PostalMime.parse(eml);
    assert.equal(parsed.text!.split(/\r?\n/)[0], 'Price confirmed at 101.25, sending the ticket now 👍');
    const bodyText = parsed
      .html!.replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    assert.ok(bodyText.startsWith('Price confirmed at 101.25'), bodyText.slice(0, 80));
    const call = await PostalMime.parse((await renderFixture(fixture('enterprise-number', 'voice-call-log'))).eml);
    assert.equal(call.text!.split(/\r?\n/)[0], 'Missed call from +33639980150 to Olivia Bennett (+447700900101) at 2026-11-20 09:14:03.000 UTC.');
  });

  it("keeps brand names in subjects, shows a voicemail's length and the milliseconds of every time", async () => {
    const rejected = await renderFixture(fixture('whatsapp', 'whatsapp-call'));
    assert.equal(rejected.plan.subject, 'Rejected WhatsApp call from \u2068عمر حداد\u2069 \u2066(+447700900103)\u2069 to Olivia Bennett (+447700900101)');
    const vm = await renderFixture(fixture('enterprise-number', 'voicemail'));
    assert.equal(vm.plan.subject, 'Voicemail from Harbor Capital (+12025550150) to Olivia Bennett (+447700900101), 0m 01s');
    assert.match(vm.plan.text, /^Voicemail length: 0m 01s$/m);
    assert.doesNotMatch(vm.plan.text, /0m 00s/);
    const sms = fixture('enterprise-number', 'sms');
    sms.raw.timestamp = '2026-11-20T09:14:03.120Z';
    const { plan } = await renderFixture(sms);
    assert.match(plan.text, /^Sent: 2026-11-20 09:14:03\.120 UTC$/m);
    assert.match(plan.html, /2026-11-20 09:14:03\.120 UTC/);
  });

  it('never splits a number across encoded-words, and folds Subject and Thread-Topic within 78', async () => {
    const f = fixture('enterprise-number', 'chat');
    f.raw.conversation = { id: 'conv-long', name: 'مكتب أسعار الفائدة – لندن وباريس ودبي والرياض', kind: 'group' };
    // 36 bytes of name: cut into 45-byte encoded-words by size alone, the number would be split.
    f.raw.participants = [{ ...olivia, name: 'أوليفيا بينيت من مكتب لندن' }, { ...omar, name: 'ع'.repeat(18) }, dalia];
    const { eml } = await renderFixture(f);
    const head = eml.toString('ascii').split('\r\n\r\n')[0];
    for (const n of ['+447700900101', '+447700900103', '+972559876543']) {
      const words = [...head.matchAll(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
      assert.ok(
        words.some((w) => w.includes(n)),
        `${n} whole in one encoded-word`,
      );
    }
    for (const line of headerLines(eml, ['Subject', 'Thread-Topic', 'From', 'To'])) assert.ok(line.length <= 78, `${line.length}: ${line}`);
  });

  it('gives every attachment name a plain filename= as well as the RFC 2231 form', async () => {
    const f = fixture('whatsapp', 'whatsapp-file');
    const { eml } = await renderFixture(f);
    const all = eml.toString('ascii').replace(/\r\n[ \t]/g, ' ');
    assert.match(all, /Content-Disposition: attachment; filename="blotter; \\"Q3\\".csv"; filename\*0\*=UTF-8''/);
    assert.match(all, /Content-Type: text\/csv; name="blotter; \\"Q3\\".csv"; name\*0\*=UTF-8''/);
    f.attachments[0].name = 'Überweisung 報告.pdf';
    (f.raw.attachments as { name: string }[])[0].name = 'Überweisung 報告.pdf';
    const renamed = await renderFixture(f);
    assert.match(renamed.eml.toString('ascii').replace(/\r\n[ \t]/g, ' '), /filename="Uberweisung __.pdf"; filename\*0\*=UTF-8''%C3%9Cberweisung/);
    assert.equal((await PostalMime.parse(renamed.eml)).attachments[0].filename, 'Überweisung 報告.pdf', 'RFC 2231 readers get the real name');
  });
});
