/**
 * The importer's Graph write path, as tests that run against any Graph: the simulator in `npm test`,
 * a real tenant in `npm run test:live`. Each test leaves the target mailbox as it found it.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MailboxApi } from '../../shared/graph/mailbox-api';
import { runSelfTest, SELF_TEST_FOLDER } from '../../shared/importing/self-test';
import { ALL_STRATEGIES, STRATEGIES, type StrategyStore } from '../../shared/importing/strategies';

export interface WritePathTarget {
  api: MailboxApi;
  strategies: StrategyStore;
  /** A designated test mailbox the app may write to. */
  mailbox: string;
}

export function graphWritePathTests(target: () => WritePathTarget): void {
  it('the test mailbox is found by its address and the app may write to it', async () => {
    const { api, mailbox } = target();
    const check = await api.checkMailbox(mailbox);
    assert.equal(check.status, 'mailbox', JSON.stringify(check));
  });

  it('the self-test tries every strategy, records each and cleans up after itself', async () => {
    const { api, strategies, mailbox } = target();
    const report = await runSelfTest(mailbox, { api, strategies, itemClass: 'IPM.Note.MobileArchive.{product}.{type}' });
    assert.deepEqual(report.results.map((r) => r.strategy).sort(), [...ALL_STRATEGIES].sort());
    const recorded = await strategies.all();
    for (const r of report.results) assert.equal(recorded.get(r.strategy)?.works, r.works);
    assert.ok(report.results.find((r) => r.strategy === STRATEGIES.jsonCreate)?.works, 'a JSON non-draft create works in every tenant');
    const check = await api.checkMailbox(mailbox);
    assert.equal(check.status, 'mailbox');
    if (check.status === 'mailbox') assert.equal(await api.findFolder(check.userId, SELF_TEST_FOLDER), undefined, 'the self-test folder is removed');
  });

  it('a de-duplication value with %, & and # is found again by its $filter', async () => {
    const { api, mailbox } = target();
    const check = await api.checkMailbox(mailbox);
    assert.equal(check.status, 'mailbox');
    if (check.status !== 'mailbox') return;
    const folderId = await api.ensureFolder(check.userId, SELF_TEST_FOLDER);
    try {
      const value = `live:${randomBytes(4).toString('hex')}%41&b#c+d`;
      const id = await api.createMessage(check.userId, folderId, {
        subject: 'mobile-archive-connector write-path test',
        body: { contentType: 'text', content: 'removed by the test' },
        singleValueExtendedProperties: [
          { id: 'Integer 0x0E07', value: '1' },
          { id: 'String {5c9d41a5-7f3e-4b3c-9a50-3f6a1d2e8b71} Name MobileArchiveItemId', value },
        ],
      });
      assert.equal(
        await api.findByExtendedProperty(check.userId, folderId, 'String {5c9d41a5-7f3e-4b3c-9a50-3f6a1d2e8b71} Name MobileArchiveItemId', value),
        id,
      );
    } finally {
      await api.deleteFolder(check.userId, folderId);
    }
  });
}
