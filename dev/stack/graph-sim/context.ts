import type { IncomingMessage } from 'node:http';
import type { DirectoryUser } from './directory';
import type { GraphSimOptions } from './options';
import type { SimStore } from './store';
import type { MailboxThrottle } from './throttle';

/** What every handler gets: the directory, the mailboxes, limits and the server's own URL. */
export interface SimContext {
  users: DirectoryUser[];
  store: SimStore;
  options: GraphSimOptions;
  throttle: MailboxThrottle;
  baseUrl: string;
  /**
   * A mailbox changed: its folders, and these messages were created, changed or removed (none
   * named: only its folders changed). With a dump folder, the change is on disk before the request
   * is answered, as Exchange keeps what it acknowledged: a killed local stack loses nothing it
   * reported done.
   */
  changed(userId: string, messageIds?: readonly string[]): void;
}

export interface SimRequest {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  version: 'v1.0' | 'beta';
}
