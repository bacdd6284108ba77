/**
 * One fetch part of an smtp-mailbox connector: the vendor sends each archived item by SMTP to a
 * journal mailbox of the customer's; this reads that mailbox's folder with Graph's delta query,
 * stores each message (MIME, `$value`) as a raw item, then moves it to the processed folder. A message
 * that cannot be archived (too large, not MIME, a journal report without its original, no
 * participant) is kept in raw-quarantine with the reason and moved to the attention folder. Nothing
 * is deleted from the mailbox.
 * - The delta link is the checkpoint: saved only when a round has been stored and moved whole.
 * - A link Graph no longer knows (410 Gone) starts a new round. Stored messages were moved out of
 *   the folder, and a message read twice is stored once (raw items are keyed by content), so a
 *   new round imports nothing twice.
 * https://learn.microsoft.com/en-us/graph/delta-query-messages
 */
import type { ConnectorSettings } from '../config/connector-settings';
import type { FetchJob } from '../jobs/fetch-job';
import type { MailboxApi } from '../graph/mailbox-api';
import { failureOf } from '../http/http-error';
import { BadVendorEmailError, readVendorEmail, vendorItemId } from '../items/vendor-email';
import { storeRawEmail } from './store-raw-email';
import { keepInQuarantine } from './store-raw-item';
import type { FetchDeps, SourcePart } from './fetch-types';
import type { DeadLetterStore } from '../runs/dead-letters';

/** Messages asked for per delta page. */
const PAGE_SIZE = 50;
/** A round restarted this often in one part means Graph keeps refusing the link: stop and report. */
const MAX_RESYNCS = 2;

export type JournalDeps = FetchDeps & { mailboxApi: MailboxApi; deadLetters: DeadLetterStore };

export class JournalMailboxError extends Error {}

export async function fetchJournalPart(job: FetchJob, connector: ConnectorSettings, deps: JournalDeps, deadline: number): Promise<SourcePart> {
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? (() => new Date());
  const journal = connector.journal!;
  const api = deps.mailboxApi;
  const result: SourcePart = { pages: 0, written: 0, present: 0, quarantined: 0 };

  const check = await api.checkMailbox(journal.mailbox);
  if (check.status !== 'mailbox') throw new JournalMailboxError(`journal mailbox ${journal.mailbox}: ${check.reason}`);
  const userId = check.userId;
  const folderId = await api.resolveFolder(userId, journal.folder);
  if (!folderId)
    throw new JournalMailboxError(
      `journal mailbox ${journal.mailbox} has no folder "${journal.folder}" (CONNECTOR__${connector.id.toUpperCase()}__JOURNAL_FOLDER)`,
    );
  const processedId = await api.ensureFolder(userId, journal.processedFolder);
  const attentionId = await api.ensureFolder(userId, journal.attentionFolder);

  let link = job.cursor ?? (await deps.checkpoints.deltaLink(connector.id));
  let resyncs = 0;
  for (;;) {
    let page;
    try {
      page = await api.deltaPage(userId, folderId, link, PAGE_SIZE);
    } catch (err) {
      if (failureOf(err).status !== 410 || resyncs >= MAX_RESYNCS) throw err;
      // The link expired (Graph keeps a limited cache of them): read the folder again from the start.
      resyncs++;
      log(`${connector.id}: the journal mailbox's delta link has expired (410); reading the folder again from the start`);
      await deps.runStatus.recordItem(job.runId, connector.id, 'fetch', `delta-resync:${resyncs}`, 'requeued', {
        reason: 'delta link expired (410 Gone); folder read again, already stored messages are not stored twice',
      });
      link = undefined;
      continue;
    }
    result.pages++;
    for (const m of page.messages) {
      if (m.removed) continue; // Moved out (by us) or deleted since the last round.
      const stored = await archiveMessage(connector, job.runId, userId, m, { processedId, attentionId }, deps);
      if (stored === 'quarantined') result.quarantined++;
      else result[stored]++;
    }
    if (page.deltaLink) {
      await deps.checkpoints.saveDeltaLink(connector.id, page.deltaLink);
      return result;
    }
    if (!page.nextLink) throw new JournalMailboxError('Graph answered a delta page with neither a next nor a delta link');
    link = page.nextLink;
    if (now().getTime() >= deadline) return { ...result, cursor: link };
  }
}

async function archiveMessage(
  connector: ConnectorSettings,
  runId: string,
  userId: string,
  m: { id: string; internetMessageId: string | null; receivedDateTime: string | null },
  folders: { processedId: string; attentionId: string },
  deps: JournalDeps,
): Promise<'written' | 'present' | 'quarantined'> {
  const journal = connector.journal!;
  const api = deps.mailboxApi;
  const receivedAt = m.receivedDateTime ? new Date(m.receivedDateTime) : new Date();
  const delivery = `mailbox ${journal.mailbox} message ${m.internetMessageId ?? m.id}`;
  const mime = await api.messageMime(userId, m.id, deps.settings.delivery.maxJournalMessageBytes);
  let problem: string | undefined;
  let sha256: string | undefined;
  if (!mime) problem = `message-too-large: over JOURNAL_MAX_MESSAGE_MB (${deps.settings.delivery.maxJournalMessageBytes} bytes)`;
  else {
    try {
      sha256 = vendorItemId((await readVendorEmail(mime, connector.emlRules)).original);
    } catch (err) {
      if (!(err instanceof BadVendorEmailError)) throw err;
      problem = err.message;
    }
  }
  if (problem || !mime || !sha256) {
    const key = `mail:${m.internetMessageId ?? m.id}`;
    let input = `${journal.mailbox} folder "${journal.attentionFolder}"`;
    if (mime) input = await keepInQuarantine(deps.storage, { connectorId: connector.id, runId }, mime, problem!, 'eml');
    await deps.deadLetters.record({
      connectorId: connector.id,
      stage: 'fetch',
      key,
      reason: `journal message moved to "${journal.attentionFolder}": ${problem}`,
      input,
      runId,
    });
    await deps.runStatus.recordItem(runId, connector.id, 'fetch', key, 'failed', { reason: problem, path: input });
    await moveOnce(api, userId, m.id, folders.attentionId);
    return 'quarantined';
  }
  const stored = await storeRawEmail(deps.storage, { connectorId: connector.id, runId }, { sha256, content: mime, delivery, receivedAt });
  await deps.runStatus.recordItem(runId, connector.id, 'fetch', sha256, stored.outcome, { path: stored.path });
  // Moved only once it is stored: a crash in between leaves it in the folder, read (and stored once) next time.
  await moveOnce(api, userId, m.id, folders.processedId);
  return stored.outcome;
}

/** A move another execution already made answers 404 for the old id: the message is where it should be. */
async function moveOnce(api: MailboxApi, userId: string, messageId: string, destinationId: string): Promise<void> {
  try {
    await api.moveMessage(userId, messageId, destinationId);
  } catch (err) {
    if (failureOf(err).status !== 404) throw err;
  }
}
