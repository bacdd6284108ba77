import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseImportJob } from '../../../shared/jobs/import-job';

const good = { version: 1, runId: 'run-1', connectorId: 'enterprise', itemId: 'item-1', emlPath: 'enterprise/2026/03/10/item-1.eml' };

describe('import job (issue 12, defect 5)', () => {
  it('accepts a job that names its own .eml', () => {
    assert.equal(parseImportJob(good).emlPath, good.emlPath);
  });

  for (const [emlPath, why] of [
    ['enterprise/../whatsapp/x.eml', /"\.\." segments/],
    ['/enterprise/x.eml', /relative path/],
    ['enterprise//x.eml', /empty/],
    ['enterprise/x\\..\\y.eml', /backslash/],
    ['enterprise/x\r\n.eml', /control characters/],
    ['enterprise/x.json', /\.eml/],
    ['whatsapp/x.eml', /connector's own folder/],
  ] as const) {
    it(`refuses emlPath ${JSON.stringify(emlPath)} with a reason naming the field`, () => {
      assert.throws(
        () => parseImportJob({ ...good, emlPath }),
        (err: Error) => err.message.startsWith('malformed import job: emlPath') && why.test(err.message),
      );
    });
  }
});
