/**
 * What landed in the simulated mailboxes: folders, messages, attachments and upload sessions.
 * In memory, with a JSON dump to a folder (one file per message) so a person can look.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

  /** Saves everything under dir (state.json plus one file per attachment) so a restarted simulator has it back. */
  save(dir: string): void {
    mkdirSync(join(dir, 'attachments'), { recursive: true });
    const mailboxes = [...this.mailboxes.entries()].map(([userId, mb]) => ({
      userId,
      folders: [...mb.folders.values()],
      messages: [...mb.messages.values()].map((m) => ({ ...m, attachments: m.attachments.map(({ content: _c, ...a }) => a) })),
    }));
    for (const mb of this.mailboxes.values()) {
      for (const m of mb.messages.values()) {
        for (const a of m.attachments) {
          const file = join(dir, 'attachments', a.id);
          if (!existsSync(file)) writeFileSync(file, a.content);
        }
      }
    }
    writeFileSync(join(dir, 'state.json.tmp'), JSON.stringify({ mailboxes }));
    renameSync(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
  }

  static load(dir: string): SimStore {
    const store = new SimStore();
    const file = join(dir, 'state.json');
    if (!existsSync(file)) return store;
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      mailboxes: {
        userId: string;
        folders: StoredFolder[];
        messages: (Omit<StoredMessage, 'attachments'> & { attachments: Omit<StoredAttachment, 'content'>[] })[];
      }[];
    };
    for (const mb of state.mailboxes) {
      store.mailboxes.set(mb.userId, {
        folders: new Map(mb.folders.map((f) => [f.id, f])),
        messages: new Map(
          mb.messages.map((m) => [
            m.id,
            {
              ...m,
              internetMessageHeaders: m.internetMessageHeaders ?? [],
              attachments: m.attachments.map((a) => ({ ...a, content: readFileSync(join(dir, 'attachments', a.id)) })),
            },
          ]),
        ),
      });
    }
    return store;
  }

  /** Writes every mailbox under dir/<user>/<folder>/<message>.json (attachments as metadata and SHA-256 only). */
  dump(dir: string, nameOf: (userId: string) => string): void {
    rmSync(dir, { recursive: true, force: true });
    for (const [userId, mb] of this.mailboxes) {
      for (const folder of mb.folders.values()) {
        const messages = [...mb.messages.values()].filter((m) => m.folderId === folder.id);
        if (messages.length === 0) continue;
        const folderDir = join(dir, safe(nameOf(userId)), safe(folder.displayName));
        mkdirSync(folderDir, { recursive: true });
        for (const m of messages) {
          const { attachments, ...rest } = m;
          const view = { ...rest, attachments: attachments.map(({ content, ...a }) => ({ ...a, sha256: sha256(content) })) };
          writeFileSync(join(folderDir, `${m.receivedDateTime.replace(/[:.]/g, '-')}-${m.id.slice(-8)}.json`), `${JSON.stringify(view, null, 2)}\n`);
        }
      }
    }
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
