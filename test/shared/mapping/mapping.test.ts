import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMappingCsv } from '../../../shared/mapping/mapping-csv';
import { toE164 } from '../../../shared/mapping/phone';
import { MappingStore } from '../../../shared/mapping/mapping-store';
import { applyMappingUpload } from '../../../shared/mapping/apply-upload';
import { tables } from '../../../shared/storage/names';
import { startTestStorage, type TestStorage } from '../../helpers/azurite';

const rows = (text: string, region: 'GB' | 'US' = 'GB') => {
  const r = parseMappingCsv(text, region);
  assert.ok(r.ok, JSON.stringify(r));
  return r.ok ? r.rows.map((x) => [x.number, x.mailbox, x.validFrom ?? null, x.validTo ?? null]) : [];
};
const problems = (text: string) => {
  const r = parseMappingCsv(text, 'GB');
  assert.ok(!r.ok, 'the file should be rejected');
  return r.ok ? [] : r.problems.map((p) => `${p.line}: ${p.problem}`);
};

describe('mapping CSV', () => {
  it('reads the vendor format: two columns, no header, country code without +', () => {
    assert.deepEqual(rows('445204334324, susan@company.com\n447700900101,olivia.bennett@contoso.example\n'), [
      ['+445204334324', 'susan@company.com', null, null],
      ['+447700900101', 'olivia.bennett@contoso.example', null, null],
    ]);
  });

  it('reads a header row in any order, a BOM, ";" separators and quoted fields', () => {
    assert.deepEqual(rows('\ufeffEmail Address;Mobile Number\r\n"Bob.Smith@Contoso.example";"+1 (202) 555-0150"\r\n"o\'neill@contoso.example";0033 6 39 98 01 01\r\n'), [
      ['+12025550150', 'bob.smith@contoso.example', null, null],
      ["+33639980101", "o'neill@contoso.example", null, null],
    ]);
    assert.deepEqual(rows('number,mailbox\n"07700 900123","a@contoso.example"\n'), [['+447700900123', 'a@contoso.example', null, null]], 'national number in the default region');
  });

  it('reads validity windows', () => {
    assert.deepEqual(rows('mobile,email,valid from,valid to\n+447700900101,a@contoso.example,2026-01-01,2026-06-01T12:00:00Z\n+447700900101,b@contoso.example,2026-06-01T12:00:00Z,\n'), [
      ['+447700900101', 'a@contoso.example', '2026-01-01T00:00:00.000Z', '2026-06-01T12:00:00.000Z'],
      ['+447700900101', 'b@contoso.example', '2026-06-01T12:00:00.000Z', null],
    ]);
  });

  it('rejects the whole file with every bad row by line number', () => {
    assert.deepEqual(
      problems('number,mailbox\n+447700900101,ok@contoso.example\nnot-a-number,x@contoso.example\n+447700900102,not-an-address\n+447700900101,other@contoso.example\n+447700900103,c@contoso.example,2026-13-45\n'),
      [
        '3: "not-a-number" is not a phone number',
        '4: "not-an-address" is not a mailbox address',
        '5: +447700900101 is mapped to ok@contoso.example on line 2 and to other@contoso.example here for the same time',
      ],
    );
    assert.deepEqual(problems('number,mailbox,validFrom\n+447700900103,c@contoso.example,2026-13-45\n'), ['2: validFrom "2026-13-45" is not a date (YYYY-MM-DD or ISO 8601)']);
    assert.match(problems('phone;owner\n+447700900101;x@contoso.example\n')[0], /names no number and mailbox columns/);
    assert.match(problems('')[0], /no rows/);
  });

  it('normalises numbers to E.164', () => {
    assert.equal(toE164('+44 7700 900123', 'US'), '+447700900123');
    assert.equal(toE164('00447700900123', 'US'), '+447700900123');
    assert.equal(toE164('447700900123', 'US'), '+447700900123');
    assert.equal(toE164('(202) 555-0150', 'US'), '+12025550150');
    assert.equal(toE164('07700 900123', 'GB'), '+447700900123');
    assert.equal(toE164('call me', 'GB'), undefined);
  });
});

describe('mapping store (Azurite)', () => {
  let ts: TestStorage;
  let store: MappingStore;
  before(async () => {
    ts = await startTestStorage();
    store = new MappingStore(ts.storage.table(tables.mapping));
  });
  after(() => ts.stop());

  it('an accepted upload replaces the mapping; removed rows stop mapping; a rejected one keeps the previous', async () => {
    const at = new Date('2026-11-20T10:00:00Z');
    const deps = { mapping: store, defaultRegion: 'GB' as const };
    const first = await applyMappingUpload('o2', Buffer.from('447700900101,a@contoso.example\n447700900102,b@contoso.example\n'), 'first.csv', deps);
    assert.ok(first.accepted);
    assert.equal(await store.lookup('o2', '+447700900102', at), 'b@contoso.example');

    const second = await applyMappingUpload('o2', Buffer.from('447700900101,c@contoso.example\n'), 'second.csv', deps);
    assert.ok(second.accepted);
    // A fresh store: no cache, what another instance would read.
    const reader = new MappingStore(ts.storage.table(tables.mapping));
    assert.equal(await reader.lookup('o2', '+447700900101', at), 'c@contoso.example');
    assert.equal(await reader.lookup('o2', '+447700900102', at), undefined, 'a row removed from the file stops mapping');

    const bad = await applyMappingUpload('o2', Buffer.from('447700900101,d@contoso.example\nbroken,row\n'), 'bad.csv', deps);
    assert.ok(!bad.accepted);
    assert.equal(await new MappingStore(ts.storage.table(tables.mapping)).lookup('o2', '+447700900101', at), 'c@contoso.example', 'the previous mapping stays');
    assert.equal((await store.info('o2'))?.source, 'second.csv');
  });
});
