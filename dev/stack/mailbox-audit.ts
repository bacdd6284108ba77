/**
 * What the Graph simulator's mailboxes hold, against what the import ledger says was made: every
 * mailbox copy of the app (a message with our X-MobileArchive-Connector and -Item-Id headers)
 * counted per mailbox and item. More than one is a duplicate; a ledger row "complete" without a
 * message is a gap. Only the simulator can be read this way (its /_sim routes).
 */
import type { TableClient } from '@azure/data-tables';
import { AUDIT_HEADERS } from '../../shared/items/message-contract';

export interface MailboxCopy {
  upn: string;
  connectorId: string;
  itemId: string;
}

export interface MailboxAudit {
  /** Distinct (mailbox, connector, item) copies in the mailboxes. */
  copies: MailboxCopy[];
  /** Copies present more than once, with how many times. */
  duplicates: (MailboxCopy & { count: number })[];
  /** Ledger rows marked complete whose message is not in the mailbox. */
  gaps: { userId: string; key: string }[];
}

interface SimMessage {
  id: string;
  internetMessageHeaders?: { name: string; value: string }[];
}

export const copyKey = (c: MailboxCopy) => `${c.upn.toLowerCase()}|${c.connectorId}|${c.itemId}`;

export async function auditMailboxes(graphUrl: string, ledger: TableClient): Promise<MailboxAudit> {
  const users = (await getJson<{ value: { user: string }[] }>(`${graphUrl}/_sim/mailboxes`)).value.map((u) => u.user);
  const counts = new Map<string, { copy: MailboxCopy; count: number }>();
  const byUser = new Map<string, Set<string>>();
  for (const user of users) {
    const mailbox = await getJson<{ user: string; messages: SimMessage[] }>(`${graphUrl}/_sim/mailboxes/${encodeURIComponent(user)}`);
    const ids = new Set<string>();
    byUser.set(user.toLowerCase(), ids);
    for (const m of mailbox.messages) {
      ids.add(m.id);
      const header = (name: string) => m.internetMessageHeaders?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
      const connectorId = header(AUDIT_HEADERS.connector);
      const itemId = header(AUDIT_HEADERS.itemId);
      if (!connectorId || !itemId) continue;
      const copy = { upn: mailbox.user, connectorId, itemId };
      const entry = counts.get(copyKey(copy)) ?? { copy, count: 0 };
      entry.count++;
      counts.set(copyKey(copy), entry);
    }
  }
  const gaps: MailboxAudit['gaps'] = [];
  const allIds = new Set([...byUser.values()].flatMap((s) => [...s]));
  // The ledger: a partition per item (connector:item), a row per mailbox.
  for await (const row of ledger.listEntities<{ state?: string; messageId?: string }>()) {
    if (row.state === 'complete' && row.messageId && !allIds.has(row.messageId)) gaps.push({ userId: row.rowKey!, key: decodeURIComponent(row.partitionKey!) });
  }
  return {
    copies: [...counts.values()].map((e) => e.copy),
    duplicates: [...counts.values()].filter((e) => e.count > 1).map((e) => ({ ...e.copy, count: e.count })),
    gaps,
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
