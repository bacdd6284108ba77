import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMappingCsv } from '../../../shared/mapping/mapping-csv';
import { toE164 } from '../../../shared/mapping/phone';

const rows = (text: string, region: 'GB' | 'US' | 'AU' = 'GB') => {
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
    assert.deepEqual(rows('61491570156, susan@company.example\n12025550101,priya.sharma@contoso.example\n'), [
      ['+61491570156', 'susan@company.example', null, null],
      ['+12025550101', 'priya.sharma@contoso.example', null, null],
    ]);
  });

  it('reads a header row in any order, a BOM, ";" separators and quoted fields', () => {
    assert.deepEqual(
      rows('\ufeffEmail Address;Mobile Number\r\n"Bob.Smith@Contoso.example";"+1 (202) 555-0150"\r\n"o\'neill@contoso.example";0033 6 39 98 01 01\r\n'),
      [
        ['+12025550150', 'bob.smith@contoso.example', null, null],
        ['+33639980101', "o'neill@contoso.example", null, null],
      ],
    );
    assert.deepEqual(
      rows('number,mailbox\n"0491 570 123","a@contoso.example"\n', 'AU'),
      [['+61491570123', 'a@contoso.example', null, null]],
      'national number in the default region',
    );
  });

  it('reads validity windows; a date-only validTo includes that whole day', () => {
    assert.deepEqual(
      rows(
        'mobile,email,valid from,valid to\n+61491570101,a@contoso.example,2026-01-01,2026-06-01T12:00:00Z\n+61491570101,b@contoso.example,2026-06-01T12:00:00Z,2026-06-30\n+61491570101,c@contoso.example,2026-07-01,\n',
      ),
      [
        ['+61491570101', 'a@contoso.example', '2026-01-01T00:00:00.000Z', '2026-06-01T12:00:00.000Z'],
        // Ends at the start of 1 July: an item at 23:59:59 on 30 June still maps to b, and c's day does not overlap.
        ['+61491570101', 'b@contoso.example', '2026-06-01T12:00:00.000Z', '2026-07-01T00:00:00.000Z'],
        ['+61491570101', 'c@contoso.example', '2026-07-01T00:00:00.000Z', null],
      ],
    );
    assert.deepEqual(rows('number,mailbox,validFrom,validTo\n+61491570101,a@contoso.example,2026-06-30,2026-06-30\n'), [
      ['+61491570101', 'a@contoso.example', '2026-06-30T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
    ]);
    assert.match(problems('number,mailbox,validTo\n+61491570101,a@contoso.example,2026-02-30\n')[0], /validTo "2026-02-30" is not a date/);
  });

  it('refuses a number that is possible but not valid, naming why', () => {
    // Ofcom's drama range: the right length for a UK mobile, but no carrier assigns it.
    assert.deepEqual(problems('number,mailbox\n07700 900123,a@contoso.example\n'), [
      '2: "07700 900123" is not a valid phone number (no carrier assigns it: a typo, or a range reserved for fiction or tests)',
    ]);
    assert.equal(toE164('07700 900123', 'GB'), '+447700900123', 'an item from the archiver with that number is still read');
  });

  it('reads a first row that is neither a header nor good data as data, and names its problem', () => {
    assert.deepEqual(problems('O7700 9OO123,olivia@contoso\n+61491570101,b@contoso.example\n'), [
      '1: "O7700 9OO123" is not a phone number',
      '1: "olivia@contoso" is not a mailbox address',
    ]);
  });

  it('rejects the whole file with every bad row by line number', () => {
    assert.deepEqual(
      problems(
        'number,mailbox\n+61491570101,ok@contoso.example\nnot-a-number,x@contoso.example\n+61491570102,not-an-address\n+61491570101,other@contoso.example\n+61491570103,c@contoso.example,2026-13-45\n',
      ),
      [
        '3: "not-a-number" is not a phone number',
        '4: "not-an-address" is not a mailbox address',
        '5: +61491570101 is mapped to ok@contoso.example on line 2 and to other@contoso.example here for the same time',
      ],
    );
    assert.deepEqual(problems('number,mailbox,validFrom\n+61491570103,c@contoso.example,2026-13-45\n'), [
      '2: validFrom "2026-13-45" is not a date (YYYY-MM-DD or ISO 8601)',
    ]);
    assert.match(problems('phone;owner\n+61491570101;x@contoso.example\n')[0], /names no number and mailbox columns/);
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
