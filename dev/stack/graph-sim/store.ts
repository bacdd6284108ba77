/**
 * What landed in the simulated mailboxes: folders, messages, attachments and upload sessions.
 * In memory; with a dump folder, each change is also kept on disk (persist) and the mailboxes are
 * written out as one JSON file per message so a person can look (dump).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

export interface StoredAttachment {
  id: string;
  name: string;
  contentType: string;
  /** As Graph reports it: the stored attachment item's size, larger than the byte count (see reportedSize). */
  size: number;
  isInline: boolean;
  contentId: string | null;
  content: Buffer;
}

export interface StoredMessage {
  id: string;
  folderId: string;
  createdDateTime: string;
  receivedDateTime: string;
  sentDateTime: string | null;
  isDraft: boolean;
  isRead: boolean;
  subject: string;
  internetMessageId: string | null;
  from: unknown;
  toRecipients: unknown[];
  ccRecipients: unknown[];
  body: { contentType: string; content: string };
  singleValueExtendedProperties: { id: string; value: string }[];
  /** Custom x- headers given on create. */
  internetMessageHeaders: { name: string; value: string }[];
  attachments: StoredAttachment[];
  /** How it was created: JSON in a folder, MIME on /messages, importMime, or delivered by SMTP. */
  createdBy: 'json' | 'mime-draft' | 'importMime' | 'delivered';
  /** A delivered message's MIME, as `$value` returns it (base64). */
  mime?: string;
  /** Change sequence of the last time it entered its folder (delta queries). */
  seq?: number;
}

export interface StoredFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
  wellKnownName?: string;
}

export interface UploadSession {
  token: string;
  userId: string;
  messageId: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
  received: Buffer[];
  receivedBytes: number;
  expires: number;
}

export interface MailboxStore {
  folders: Map<string, StoredFolder>;
  messages: Map<string, StoredMessage>;
  /** Delta queries: the last change sequence, and messages that left a folder (in memory only: a restart expires every delta link). */
  seq?: number;
  tombstones?: { id: string; folderId: string; seq: number }[];
}

const WELL_KNOWN = ['inbox', 'drafts', 'sentitems', 'deleteditems', 'archive'];

export class SimStore {
  readonly mailboxes = new Map<string, MailboxStore>();
  readonly uploads = new Map<string, UploadSession>();

  mailbox(userId: string): MailboxStore {
    let m = this.mailboxes.get(userId);
    if (!m) {
      m = { folders: new Map(), messages: new Map() };
      const root = newId('root');
      for (const name of WELL_KNOWN) {
        const id = newId(name);
        m.folders.set(id, {
          id,
          displayName:
            name === 'inbox'
              ? 'Inbox'
              : name === 'drafts'
                ? 'Drafts'
                : name === 'sentitems'
                  ? 'Sent Items'
                  : name === 'deleteditems'
                    ? 'Deleted Items'
                    : 'Archive',
          parentFolderId: root,
          wellKnownName: name,
        });
      }
      this.mailboxes.set(userId, m);
    }
    return m;
  }

  /**
   * Writes a mailbox's changes under dir at once: its folders, and one file per named message
   * (removed if the message is gone). One message at a time, so the cost of a change does not grow
   * with the mailbox (rewriting one state file per change took seconds at 5,000 messages).
   */
  persist(dir: string, userId: string, messageIds: readonly string[] = []): void {
    const mb = this.mailboxes.get(userId);
    if (!mb) return;
    const userDir = join(dir, 'mailboxes', encodeURIComponent(userId));
    const messagesDir = join(userDir, 'messages');
    mkdirSync(messagesDir, { recursive: true });
    mkdirSync(join(dir, 'attachments'), { recursive: true });
    writeAtomic(join(userDir, 'folders.json'), JSON.stringify([...mb.folders.values()]));
    for (const id of messageIds) {
      const file = join(messagesDir, `${encodeURIComponent(id)}.json`);
      const m = mb.messages.get(id);
      if (!m) {
        rmSync(file, { force: true });
        continue;
      }
      for (const a of m.attachments) {
        const content = join(dir, 'attachments', a.id);
        if (!existsSync(content)) writeAtomic(content, a.content);
      }
      writeAtomic(file, JSON.stringify({ ...m, attachments: m.attachments.map(({ content: _c, ...a }) => a) }));
    }
  }

  /** What persist() wrote (and a state.json of older versions), so a restarted simulator has its mailboxes back. */
  static load(dir: string): SimStore {
    const store = new SimStore();
    const attachment = (a: Omit<StoredAttachment, 'content'>): StoredAttachment => ({ ...a, content: readFileSync(join(dir, 'attachments', a.id)) });
    const message = (m: Omit<StoredMessage, 'attachments'> & { attachments: Omit<StoredAttachment, 'content'>[] }): StoredMessage => ({
      ...m,
      internetMessageHeaders: m.internetMessageHeaders ?? [],
      attachments: m.attachments.map(attachment),
    });
    const legacy = join(dir, 'state.json');
    if (existsSync(legacy)) {
      // One file for everything, as earlier versions kept it: rewritten once in today's layout.
      const state = JSON.parse(readFileSync(legacy, 'utf8')) as {
        mailboxes: { userId: string; folders: StoredFolder[]; messages: Parameters<typeof message>[0][] }[];
      };
      for (const mb of state.mailboxes) {
        store.mailboxes.set(mb.userId, { folders: new Map(mb.folders.map((f) => [f.id, f])), messages: new Map(mb.messages.map((m) => [m.id, message(m)])) });
        store.persist(dir, mb.userId, [...mb.messages.map((m) => m.id)]);
      }
      rmSync(legacy);
      return store;
    }
    const mailboxesDir = join(dir, 'mailboxes');
    if (!existsSync(mailboxesDir)) return store;
    for (const entry of readdirSync(mailboxesDir)) {
      const userDir = join(mailboxesDir, entry);
      const folders = JSON.parse(readFileSync(join(userDir, 'folders.json'), 'utf8')) as StoredFolder[];
      const messages = readdirSync(join(userDir, 'messages')).map((f) =>
        message(JSON.parse(readFileSync(join(userDir, 'messages', f), 'utf8')) as Parameters<typeof message>[0]),
      );
      store.mailboxes.set(decodeURIComponent(entry), { folders: new Map(folders.map((f) => [f.id, f])), messages: new Map(messages.map((m) => [m.id, m])) });
    }
    return store;
  }

  /** The view file written for each message (dump), and what changed since the last dump. */
  private readonly viewFiles = new Map<string, string>();
  private readonly viewChanges = new Map<string, Set<string> | 'all'>();
  private viewWritten = false;

  /** Notes a change for the next dump (no message named: the mailbox's folders changed, all its files are redone). */
  viewChanged(userId: string, messageIds?: readonly string[]): void {
    const pending = this.viewChanges.get(userId);
    if (pending === 'all') return;
    if (!messageIds) return void this.viewChanges.set(userId, 'all');
    const ids = pending ?? new Set<string>();
    for (const id of messageIds) ids.add(id);
    this.viewChanges.set(userId, ids);
  }

  /**
   * Writes the mailboxes under dir/<user>/<folder>/<message>.json (attachments as metadata and
   * SHA-256 only): everything the first time, then only what changed since.
   */
  dump(dir: string, nameOf: (userId: string) => string): void {
    const changes: [string, Set<string> | 'all'][] = this.viewWritten ? [...this.viewChanges] : [...this.mailboxes.keys()].map((u) => [u, 'all']);
    if (!this.viewWritten) rmSync(dir, { recursive: true, force: true });
    this.viewWritten = true;
    this.viewChanges.clear();
    for (const [userId, changed] of changes) {
      const mb = this.mailboxes.get(userId);
      if (!mb) continue;
      if (changed === 'all') {
        rmSync(join(dir, safe(nameOf(userId))), { recursive: true, force: true });
        for (const m of mb.messages.values()) this.writeView(dir, nameOf(userId), mb, m);
        continue;
      }
      for (const id of changed) {
        const previous = this.viewFiles.get(id);
        if (previous) rmSync(previous, { force: true });
        this.viewFiles.delete(id);
        const m = mb.messages.get(id);
        if (m) this.writeView(dir, nameOf(userId), mb, m);
      }
    }
  }

  private writeView(dir: string, user: string, mb: MailboxStore, m: StoredMessage): void {
    const folder = mb.folders.get(m.folderId);
    if (!folder) return;
    const folderDir = join(dir, safe(user), safe(folder.displayName));
    mkdirSync(folderDir, { recursive: true });
    const { attachments, ...rest } = m;
    const view = { ...rest, attachments: attachments.map(({ content, ...a }) => ({ ...a, sha256: sha256(content) })) };
    const file = join(folderDir, `${m.receivedDateTime.replace(/[:.]/g, '-')}-${m.id.slice(-8)}.json`);
    writeFileSync(file, `${JSON.stringify(view, null, 2)}\n`);
    this.viewFiles.set(m.id, file);
  }
}

/**
 * The `size` Graph reports for a file attachment: the attachment item as stored, not the byte count.
 * Microsoft's large-attachment walkthrough uploads 3,483,322 bytes and reads back size 3,640,066
 * (4.5 % more); the simulator reports that ratio plus the name, so no client can mistake it for the bytes.
 * https://learn.microsoft.com/en-us/graph/outlook-large-attachments
 */
export function reportedSize(bytes: number, name: string): number {
  return Math.round(bytes * 1.045) + 200 + 2 * name.length;
}

export function newId(prefix = 'AAMk'): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

function safe(name: string): string {
  return name.replace(/[^\p{L}\p{N} ._@-]/gu, '_').slice(0, 120) || '_';
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Written whole or not at all: a simulator killed mid-write leaves the previous file. */
function writeAtomic(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}
