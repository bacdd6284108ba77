/**
 * The import self-test: an administrator runs it once against a designated test mailbox before the
 * first real run (`npm run selftest -- --mailbox <upn>`, or a message on the selftest-requests queue
 * in Azure). It writes a synthetic item with each strategy the importer may use, reads every result
 * back (not a draft, the original time, the audit properties, each attachment once with its SHA-256),
 * removes what it wrote, and records which strategies work in this tenant. The importer then uses
 * that record (strategies.ts): it refuses a broken strategy and falls back where it can.
 *
 * Why: Graph documents attachments and upload sessions only for drafts, importMime is beta, and
 * Exchange restricts changes to non-draft messages from 2026-12-31; none of this can be tested from
 * outside the customer's tenant.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MailboxApi, StoredMessageView } from '../graph/mailbox-api';
import { describeFailure } from '../http/http-error';
import { AUDIT_HEADERS, syntheticAddress } from '../items/message-contract';
import type { MessagePlan } from '../mime/message-plan';
import { readItemMessage, type ItemMessage } from '../mime/read-message';
import { renderSkeleton } from '../mime/render';
import { messageToBuffer } from '../mime/serialize';
import { DEDUP_PROPERTY_ID, MESSAGE_CLASS_PROPERTY, NAMED_PROPERTIES, attachmentsOf, dedupValue, itemClassOf, messagePayload } from './message-payload';
import { ALL_STRATEGIES, STRATEGIES, type Strategy, type StrategyResult, type StrategyStore } from './strategies';

export const SELF_TEST_FOLDER = 'Mobile Archive self-test';
const CONNECTOR = 'selftest';
/** A time well in the past: a copy that shows "now" instead was not imported with its own time. */
const ITEM_TIME = new Date('2021-03-04T05:06:07.000Z');

export interface SelfTestReport {
  mailbox: string;
  results: StrategyResult[];
}

/** One test item: a small attachment (posted or inline) and one of 3.2 MB (upload session). */
async function testItem(run: string, attachment: 'small' | 'large'): Promise<{ eml: Buffer; message: ItemMessage; itemId: string }> {
  const itemId = `selftest-${run}-${attachment}`;
  const parts = [randomBytes(attachment === 'small' ? 2048 : 3_200_000)];
  const number = '+15550100001';
  const other = '+15550100002';
  const plan: MessagePlan = {
    date: ITEM_TIME,
    messageId: `<${itemId}@mobile-archive.invalid>`,
    subject: `mobile-archive-connector import self-test (${attachment} attachment)`,
    from: { name: 'Self-test sender', address: syntheticAddress(number, CONNECTOR), number },
    to: [{ name: 'Self-test recipient', address: syntheticAddress(other, CONNECTOR), number: other }],
    threadTopic: 'import self-test',
    threadIndex: Buffer.concat([Buffer.from([1]), randomBytes(21)]).toString('base64'),
    references: `<${itemId}-thread@mobile-archive.invalid>`,
    auditHeaders: [
      [AUDIT_HEADERS.connector, CONNECTOR],
      [AUDIT_HEADERS.product, 'self-test'],
      [AUDIT_HEADERS.itemType, 'sms'],
      [AUDIT_HEADERS.itemId, itemId],
      [AUDIT_HEADERS.timestamp, ITEM_TIME.toISOString()],
      [AUDIT_HEADERS.direction, 'outbound'],
      [AUDIT_HEADERS.sender, number],
      [AUDIT_HEADERS.participants, `${number}, ${other}`],
      [AUDIT_HEADERS.rawBlob, `raw-items/${CONNECTOR}/${itemId}.json`],
      [AUDIT_HEADERS.rawSha256, createHash('sha256').update(itemId).digest('hex')],
    ],
    text: 'This message was written by the import self-test and is removed by it.',
    html: '<p>This message was written by the import self-test and is removed by it.</p>',
    attachments: parts.map((content, i) => ({
      blobPath: `selftest/${i}`,
      filename: `selftest-${i + 1}.bin`,
      contentType: 'application/octet-stream',
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
      inline: false,
    })),
  };
  const eml = await messageToBuffer(renderSkeleton(plan), (i) => Promise.resolve(Readable.from([parts[i]])));
  return { eml, message: await readItemMessage(eml), itemId };
}

export interface SelfTestDeps {
  api: MailboxApi;
  strategies: StrategyStore;
  itemClass: string;
  log?: (line: string) => void;
}

export async function runSelfTest(mailbox: string, deps: SelfTestDeps): Promise<SelfTestReport> {
  const { api } = deps;
  const log = deps.log ?? (() => undefined);
  const check = await api.checkMailbox(mailbox);
  if (check.status !== 'mailbox') throw new Error(`self-test mailbox ${mailbox}: ${check.reason}`);
  const userId = check.userId;
  const folderId = await api.ensureFolder(userId, SELF_TEST_FOLDER);
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const written: string[] = [];
  const results: StrategyResult[] = [];

  const jsonCreate = async (kind: 'small' | 'large', inlineAll: boolean) => {
    const t = await testItem(run, kind);
    const built = messagePayload(t.message, {
      connectorId: CONNECTOR,
      itemId: t.itemId,
      itemClass: itemClassOf(deps.itemClass, t.message),
      cannotAdd: () => false,
      archivedAt: 'self-test',
    });
    const payload = inlineAll ? built.payload : { ...built.payload, attachments: undefined };
    const id = await api.createMessage(userId, folderId, payload);
    written.push(id);
    return { id, t };
  };

  const attempts: Record<Strategy, () => Promise<string>> = {
    [STRATEGIES.jsonCreate]: async () => {
      const { id, t } = await jsonCreate('small', true);
      return verify(api, userId, id, t, { json: true, itemClass: itemClassOf(deps.itemClass, t.message) });
    },
    [STRATEGIES.attachmentPost]: async () => {
      const { id, t } = await jsonCreate('small', false);
      for (const a of attachmentsOf(t.message)) await api.addAttachment(userId, id, a);
      return verify(api, userId, id, t, { json: true, itemClass: itemClassOf(deps.itemClass, t.message) });
    },
    [STRATEGIES.uploadSession]: async () => {
      const { id, t } = await jsonCreate('large', false);
      for (const a of attachmentsOf(t.message)) await api.addAttachment(userId, id, a);
      return verify(api, userId, id, t, { json: true, itemClass: itemClassOf(deps.itemClass, t.message) });
    },
    [STRATEGIES.importMime]: async () => {
      const t = await testItem(run, 'small');
      const id = await api.importMime(userId, folderId, t.eml);
      written.push(id);
      return verify(api, userId, id, t, { json: false });
    },
  };

  try {
    for (const strategy of ALL_STRATEGIES) {
      let works: boolean;
      let detail: string;
      try {
        detail = await attempts[strategy]();
        works = true;
      } catch (err) {
        works = false;
        detail = err instanceof SelfTestMismatch ? err.message : describeFailure(err);
      }
      log(`${strategy.padEnd(16)} ${works ? 'works' : 'BROKEN'}: ${detail}`);
      results.push({ strategy, works, detail, mailbox: check.upn, testedAt: new Date().toISOString(), source: 'self-test' });
    }
  } finally {
    // Clean up what was written; a failure here is reported, not hidden.
    for (const id of written) await api.deleteMessage(userId, id).catch((err: unknown) => log(`could not remove test message ${id}: ${describeFailure(err)}`));
    await api.deleteFolder(userId, folderId).catch((err: unknown) => log(`could not remove the ${SELF_TEST_FOLDER} folder: ${describeFailure(err)}`));
  }
  await deps.strategies.record(results);
  return { mailbox: check.upn, results };
}

class SelfTestMismatch extends Error {}

/** Reads a written copy back and says what is wrong with it, or how it looked when right. */
async function verify(
  api: MailboxApi,
  userId: string,
  id: string,
  t: { message: ItemMessage; itemId: string },
  expect: { json: boolean; itemClass?: string },
): Promise<string> {
  const wanted = [DEDUP_PROPERTY_ID, NAMED_PROPERTIES.rawSha256, MESSAGE_CLASS_PROPERTY];
  const m: StoredMessageView = await api.getMessage(userId, id, wanted);
  const problems: string[] = [];
  if (m.isDraft) problems.push('the copy is a draft');
  if (Date.parse(m.receivedDateTime) !== ITEM_TIME.getTime()) problems.push(`received ${m.receivedDateTime}, not the item's time ${ITEM_TIME.toISOString()}`);
  if (expect.json) {
    const prop = (pid: string) => m.singleValueExtendedProperties?.find((p) => p.id.toLowerCase() === pid.toLowerCase())?.value;
    if (prop(DEDUP_PROPERTY_ID) !== dedupValue(CONNECTOR, t.itemId)) problems.push('the de-duplication property is missing');
    if (!prop(NAMED_PROPERTIES.rawSha256)) problems.push('the raw SHA-256 property is missing');
    if (expect.itemClass && prop(MESSAGE_CLASS_PROPERTY) !== expect.itemClass) problems.push(`item class ${prop(MESSAGE_CLASS_PROPERTY) ?? 'missing'}`);
  }
  const itemIdHeader = m.internetMessageHeaders?.find((h) => h.name.toLowerCase() === AUDIT_HEADERS.itemId.toLowerCase())?.value;
  if (itemIdHeader !== t.itemId) problems.push(`the ${AUDIT_HEADERS.itemId} header is missing`);
  const wantedParts = attachmentsOf(t.message);
  const present = await api.listAttachments(userId, id);
  if (present.length !== wantedParts.length) problems.push(`${present.length} attachment(s), expected ${wantedParts.length}`);
  for (const a of wantedParts) {
    const match = present.filter((p) => expect.json === false || p.contentId?.replace(/^<|>$/g, '') === a.contentId);
    const hashes = await Promise.all(
      match.map(async (p) =>
        createHash('sha256')
          .update(await api.attachmentContent(userId, id, p.id))
          .digest('hex'),
      ),
    );
    if (!hashes.includes(a.sha256)) problems.push(`attachment ${a.name} is not intact (SHA-256 differs or missing)`);
  }
  if (problems.length > 0) throw new SelfTestMismatch(problems.join('; '));
  return `not a draft, original time, audit values and ${wantedParts.length} attachment(s) intact`;
}
