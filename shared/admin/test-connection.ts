/**
 * "Test connection" for one connector, as an operator presses it after entering or rotating
 * credentials: the archiver sign-in and one listing (http-api), the journal mailbox and its folder
 * (smtp-mailbox), or the landing container (sftp-zip). It reads; it never fetches or moves an item.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config/config';
import type { ConnectorSettings } from '../config/connector-settings';
import type { MailboxApi } from '../graph/mailbox-api';
import { defaultArchiver } from '../fetching/archiver-window';
import { landingContainerOf } from '../storage/names';

export interface ConnectionTest {
  connectorId: string;
  ok: boolean;
  /** What was checked and what answered (no credentials, no item content). */
  detail: string;
}

export interface ConnectionTestDeps {
  settings: Pick<Config, 'fetch' | 'http'>;
  mailboxApi: () => MailboxApi;
  landing: () => BlobServiceClient | undefined;
}

export async function testConnection(connector: ConnectorSettings, deps: ConnectionTestDeps): Promise<ConnectionTest> {
  const result = (ok: boolean, detail: string): ConnectionTest => ({ connectorId: connector.id, ok, detail });
  if (connector.unavailable) return result(false, `connector-unavailable: ${connector.unavailable}`);
  try {
    if (connector.source === 'http-api') {
      const client = defaultArchiver(connector, deps.settings);
      const to = new Date();
      await client.listItems(connector.product, { from: new Date(to.getTime() - 60_000), to }, { limit: 1 });
      return result(true, `signed in to ${new URL(connector.archiverUrl!).host} as ${connector.username} and listed ${connector.product} items`);
    }
    if (connector.source === 'smtp-mailbox') {
      const journal = connector.journal!;
      const api = deps.mailboxApi();
      const check = await api.checkMailbox(journal.mailbox);
      if (check.status !== 'mailbox') return result(false, `journal mailbox ${journal.mailbox}: ${check.reason}`);
      const folder = await api.resolveFolder(check.userId, journal.folder);
      if (!folder) return result(false, `journal mailbox ${journal.mailbox} has no folder "${journal.folder}"`);
      return result(true, `journal mailbox ${journal.mailbox} and its folder "${journal.folder}" are readable`);
    }
    const landing = deps.landing();
    if (!landing) return result(false, 'no landing storage is configured (LandingStorage)');
    const container = landingContainerOf(connector.id);
    const exists = await landing.getContainerClient(container).exists();
    return result(exists, exists ? `landing container ${container} is reachable` : `landing container ${container} does not exist (deploy infra/ first)`);
  } catch (err) {
    return result(false, (err as Error).message);
  }
}
