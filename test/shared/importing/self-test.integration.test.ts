/**
 * The import self-test and the importer's use of what it records, against the Graph simulator in its
 * documented-service modes: kind (all strategies work), strict (attachments only on drafts), and the
 * 2026-12-31 enforcement with and without Mail-Advanced.ReadWrite.All.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fixtureItems, withAttachments, type FixtureItem } from '../../fixtures/items';
import { convertFixture, runImport, startImportFixture, type ImportFixture } from '../../helpers/import-fixture';
import { graphWritePathTests } from '../../helpers/graph-write-path';
import { importItem } from '../../../shared/importing/import-item';
import { runSelfTest } from '../../../shared/importing/self-test';
import { STRATEGIES } from '../../../shared/importing/strategies';
import { DEDUP_PROPERTY_ID, NAMED_PROPERTIES } from '../../../shared/importing/message-payload';
import type { GraphSimOptionsInput } from '../../../dev/stack/graph-sim/options';

const OLIVIA = 'olivia.bennett@contoso.onmicrosoft.example';
const FOLDER = 'Enterprise Number Archiver';
let n = 0;

/** An MMS whose second attachment (3.3 MB) cannot ride in the create. */
function mmsWithLargeAttachment(): FixtureItem & { raw: { id: string } } {
  const f = structuredClone(fixtureItems.find((x) => x.raw.type === 'mms' && x.product === 'enterprise-number')!) as FixtureItem & { raw: { id: string } };
  f.raw.id = `${f.raw.id}-s${++n}`;
  return withAttachments(f, [...f.attachments, { id: 'big', name: 'scan.pdf', contentType: 'application/pdf', content: Buffer.alloc(3_300_000, 7) }]);
}

function startFixture(options: GraphSimOptionsInput) {
  return startImportFixture({ retryAfterSeconds: 0, ...options });
}

describe('import write path against the Graph simulator', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startFixture({});
  });
  after(() => f.stop());
  graphWritePathTests(() => ({ api: f.services.mailboxApi, strategies: f.services.strategies, mailbox: OLIVIA }));
});

describe('import self-test', () => {
  const modes: { name: string; options: GraphSimOptionsInput; broken: string[] }[] = [
    { name: 'a service that takes attachments on any message', options: {}, broken: [] },
    { name: 'strict: attachments only on drafts', options: { strictNonDraftAttachments: true }, broken: [STRATEGIES.attachmentPost, STRATEGIES.uploadSession] },
    {
      name: 'the 2026-12-31 enforcement without Mail-Advanced.ReadWrite.All',
      options: { enforceSensitiveProperties: true },
      broken: [STRATEGIES.attachmentPost, STRATEGIES.uploadSession],
    },
    { name: 'the 2026-12-31 enforcement with Mail-Advanced.ReadWrite.All', options: { enforceSensitiveProperties: true, mailAdvanced: true }, broken: [] },
  ];
  for (const mode of modes) {
    it(`${mode.name}: reports ${mode.broken.length === 0 ? 'every strategy working' : `${mode.broken.join(' and ')} as not working`}`, async () => {
      const f = await startFixture(mode.options);
      try {
        const report = await runSelfTest(OLIVIA, { api: f.services.mailboxApi, strategies: f.services.strategies, itemClass: 'IPM.Note' });
        assert.deepEqual(
          report.results.filter((r) => !r.works).map((r) => r.strategy),
          mode.broken,
          JSON.stringify(report.results),
        );
        const user = f.graph.users.find((u) => u.userPrincipalName === OLIVIA)!;
        assert.equal(
          f.graph
            .messagesOf(OLIVIA)
            .filter((m) => m.folderId !== [...f.graph.store.mailbox(user.id).folders.values()].find((x) => x.wellKnownName === 'deleteditems')!.id).length,
          0,
          'nothing left outside Deleted Items',
        );
      } finally {
        await f.stop();
      }
    });
  }
});

describe('importer with what the self-test recorded (strict simulator)', () => {
  let f: ImportFixture;
  before(async () => {
    f = await startFixture({ strictNonDraftAttachments: true });
  });
  after(() => f.stop());

  const copiesOf = (itemId: string) =>
    f.graph.messagesOf(OLIVIA, FOLDER).filter((m) => m.singleValueExtendedProperties.some((p) => p.id === DEDUP_PROPERTY_ID && p.value.endsWith(`:${itemId}`)));

  it('without a self-test, a refused attachment makes the copy again with a note: partially imported, never dropped', async () => {
    const mms = mmsWithLargeAttachment();
    const job = await convertFixture(f, mms);
    const result = await runImport(f, job);
    assert.deepEqual(
      result.copies.map((c) => c.outcome),
      ['partial'],
    );
    const [copy, ...more] = copiesOf(mms.raw.id);
    assert.equal(more.length, 0, 'one copy in the folder');
    assert.equal(copy.isDraft, false);
    assert.equal(copy.attachments.length, 1, 'the attachment that fitted in the create');
    const sha = createHash('sha256').update(mms.attachments[1].content).digest('hex');
    assert.match(copy.body.content, new RegExp(`Archive note:.*mime-messages/.*scan\\.pdf \\(3300000 bytes\\), MIME part 2, SHA-256 ${sha}`, 's'));
    assert.equal(copy.singleValueExtendedProperties.find((p) => p.id === NAMED_PROPERTIES.omitted)?.value, `2:${sha}`);
    assert.equal((await f.services.strategies.all()).get(STRATEGIES.uploadSession)?.works, false, 'the importer recorded what it learned');
    const summary = await f.services.runStatus.summarize(job.runId);
    assert.equal(summary?.connectors[0].partiallyImported, 1);
  });

  it('after the self-test, the next item is written with the note at once (one create, nothing removed)', async () => {
    await runSelfTest(OLIVIA, { api: f.services.mailboxApi, strategies: f.services.strategies, itemClass: 'IPM.Note' });
    const mms = mmsWithLargeAttachment();
    const deletesBefore = Object.entries(f.graph.requests.byRoute).find(([k]) => k.startsWith('DELETE') && k.includes('messages'))?.[1] ?? 0;
    const result = await runImport(f, await convertFixture(f, mms));
    assert.equal(result.copies[0].outcome, 'partial');
    const deletesAfter = Object.entries(f.graph.requests.byRoute).find(([k]) => k.startsWith('DELETE') && k.includes('messages'))?.[1] ?? 0;
    assert.equal(deletesAfter, deletesBefore);
    assert.equal(copiesOf(mms.raw.id).length, 1);
  });

  it('refuses a strategy the self-test found broken: dead-lettered at once with what to do', async () => {
    await f.services.strategies.record([
      { strategy: STRATEGIES.jsonCreate, works: false, detail: 'simulated refusal', mailbox: OLIVIA, testedAt: new Date().toISOString(), source: 'self-test' },
    ]);
    try {
      const mms = mmsWithLargeAttachment();
      const result = await importItem(await convertFixture(f, mms), f.services, { dequeueCount: 1 });
      assert.equal(result.status, 'partial');
      assert.match(result.copies[0].reason ?? '', /^strategy-refused: the json-create import strategy failed the self-test/);
      assert.equal(copiesOf(mms.raw.id).length, 0);
    } finally {
      await f.services.strategies.record([
        { strategy: STRATEGIES.jsonCreate, works: true, detail: 'ok', mailbox: OLIVIA, testedAt: new Date().toISOString(), source: 'self-test' },
      ]);
    }
  });
});
