import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperator, loopbackPrincipal, OPERATOR_ROLE } from '../../../shared/admin/operator-principal';
import { adminLogCsv } from '../../../shared/admin/admin-log-csv';
import { routeMatcher } from '../../../dev/stack/host/http-listener';
import { Progress } from '../../../dev/stack/progress';
import { formatConnectorTable } from '../../../dev/stack/run-report';
import { emptyRunCounts, importItemId, importMailbox } from '../../../shared/runs/run-status';

const principal = (claims: { typ: string; val: string }[], roleTyp = 'roles') =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', name_typ: 'name', role_typ: roleTyp, claims })).toString('base64');

describe('operator sign-in (X-MS-CLIENT-PRINCIPAL)', () => {
  it('refuses no principal (401), a signed-in user without the operator role (403), and lets an operator in', () => {
    assert.deepEqual(checkOperator(undefined).ok, false);
    assert.equal((checkOperator(undefined) as { status: number }).status, 401);
    assert.equal((checkOperator('%%%') as { status: number }).status, 401);
    const reader = checkOperator(
      principal([
        { typ: 'name', val: 'Rita Reader' },
        { typ: 'roles', val: 'Archive.Reader' },
      ]),
    );
    assert.equal((reader as { status: number }).status, 403);
    assert.match((reader as { reason: string }).reason, /Rita Reader does not hold the Archive\.Operator app role/);
    const operator = checkOperator(
      principal(
        [
          { typ: 'name', val: 'Olga Operator' },
          { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: OPERATOR_ROLE },
        ],
        'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      ),
    );
    assert.deepEqual(operator, { ok: true, name: 'Olga Operator' });
    assert.equal(checkOperator(loopbackPrincipal()).ok, true);
  });
});

describe('admin log CSV', () => {
  it('has one header, quotes what needs quoting, and defuses cells a spreadsheet would run as formulas', () => {
    const csv = adminLogCsv([
      {
        runId: 'r1',
        connectorId: 'o2',
        stage: 'import',
        itemId: 'i,1',
        mailbox: 'a@b.example',
        outcome: 'failed',
        reason: '=HYPERLINK("x")',
        recordedAt: '2026-11-21T00:00:00.000Z',
      },
      {
        runId: 'r1',
        connectorId: 'o2',
        stage: 'import',
        itemId: 'i2',
        outcome: 'unmapped',
        reason: '+447700900999: no mailbox',
        recordedAt: '2026-11-21T00:00:01.000Z',
      },
    ]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'run,connector,stage,item,mailbox,outcome,reason,recorded_at');
    assert.equal(lines[1], 'r1,o2,import,"i,1",a@b.example,failed,"\'=HYPERLINK(""x"")",2026-11-21T00:00:00.000Z');
    assert.equal(lines[2], "r1,o2,import,i2,,unmapped,'+447700900999: no mailbox,2026-11-21T00:00:01.000Z");
  });
});

describe('dev host routes', () => {
  it('matches literal, named and catch-all segments as the Functions host does', () => {
    const operator = routeMatcher('operator/{*path}');
    assert.deepEqual(operator('operator/runs/r1/log.csv'), { path: 'runs/r1/log.csv' });
    assert.deepEqual(operator('operator'), { path: '' });
    assert.equal(operator('status'), undefined);
    assert.deepEqual(routeMatcher('status')('status'), {});
    assert.equal(routeMatcher('status')('status/x'), undefined);
  });
});

describe('import row keys', () => {
  it('split into item and mailbox even when the item id holds an @', () => {
    assert.equal(importItemId('<m1@host>@olivia.bennett@contoso.example'), '<m1@host>');
    assert.equal(importMailbox('<m1@host>@olivia.bennett@contoso.example'), 'olivia.bennett@contoso.example');
    assert.equal(importItemId('ent-1'), 'ent-1');
    assert.equal(importMailbox('ent-1'), undefined);
  });
});

describe('terminal display', () => {
  const fakeTty = (columns: number) => {
    const out: string[] = [];
    return { out, stream: { isTTY: true, columns, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
  };

  it('fits the connector table into 80 columns and cuts any longer line to the width', () => {
    const table = formatConnectorTable({
      'a-very-long-connector-name': { ...emptyRunCounts(), state: 'in-flight-elsewhere', fetched: 123456, copies: 99999999 },
      o2: { ...emptyRunCounts(), state: 'done' },
    });
    for (const line of table) assert.ok(line.length <= 79, `${line.length}: ${line}`);
    const { out, stream } = fakeTty(40);
    new Progress(stream).update(['x'.repeat(100), 'short']);
    for (const line of out.join('').split('\n')) assert.ok(line.length <= 39, line);
  });

  it('never redraws after done(): a late update cannot overwrite the summary', () => {
    const { out, stream } = fakeTty(80);
    const progress = new Progress(stream);
    progress.update(['live 1']);
    progress.done();
    const before = out.length;
    progress.update(['live 2']);
    assert.equal(out.length, before);
  });

  it('prints short plain lines, each only when it changed, when not a terminal', () => {
    const out: string[] = [];
    const progress = new Progress({ isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream);
    progress.update(['table'], ['enterprise fetching: 1 fetched', 'o2 fetching: 0 fetched']);
    progress.update(['table'], ['enterprise fetching: 2 fetched', 'o2 fetching: 0 fetched']);
    assert.equal(out.length, 3);
    assert.ok(out.every((l) => l.length < 80 && !l.includes('table')));
  });
});
