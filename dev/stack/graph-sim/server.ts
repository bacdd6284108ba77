/**
 * The Graph simulator: the part of Microsoft Graph the importer uses, on 127.0.0.1, with Exchange
 * Online's limits and error shapes (see dev/stack/graph-sim/PARITY.md for what is checked against
 * Microsoft's documentation and the known deviations). What landed is inspectable at /_sim/... and
 * dumped as JSON under the dump folder.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GraphHttpError, graphError, sendJson } from './errors';
import { seededDirectory, type DirectoryUser } from './directory';
import { graphSimOptionsSchema, type GraphSimOptions, type GraphSimOptionsInput } from './options';
import { SimStore, type StoredMessage } from './store';
import { MailboxThrottle } from './throttle';
import type { SimContext, SimRequest } from './context';
import { findUser, getUser, listUsers } from './handlers/users';
import { createFolder, deleteFolder, getFolder, listFolders, moveFolder } from './handlers/mail-folders';
import * as messages from './handlers/messages';
import * as journal from './handlers/journal';
import { Random } from '../archiver-sim/random';

/** Graph refuses requests over 4 MB (upload session chunks have their own 4 MB limit). */
export const REQUEST_LIMIT = 4 * 1024 * 1024;

export interface GraphSimulator {
  url: string;
  port: number;
  store: SimStore;
  users: DirectoryUser[];
  throttleStats: MailboxThrottle['stats'];
  requests: { total: number; byRoute: Record<string, number> };
  setOptions(options: Partial<GraphSimOptions>): void;
  /** A message arriving by SMTP in the user's Inbox (the vendor's delivery to a journal mailbox). */
  deliver(upn: string, mime: Buffer): Promise<StoredMessage>;
  /** Every delta link issued so far now answers 410 Gone, as one Exchange evicted from its cache. */
  expireDeltaLinks(): void;
  /** user UPN -> folder name -> messages (for tests and inspection). */
  messagesOf(upn: string, folderName?: string): StoredMessage[];
  dump(): void;
  close(): Promise<void>;
}

type Route = [method: string, pattern: RegExp, handle: (ctx: SimContext, r: SimRequest, ...groups: string[]) => unknown, mailboxRoute: boolean];

const seg = '([^/]+)';
const routes: Route[] = [
  ['GET', /^\/users$/, (c, r) => listUsers(c, r), false],
  ['GET', new RegExp(`^/users/${seg}$`), (c, r, u) => getUser(c, r, u), false],
  ['GET', new RegExp(`^/users/${seg}/mailFolders$`), (c, r, u) => listFolders(c, r, u), true],
  ['POST', new RegExp(`^/users/${seg}/mailFolders$`), (c, r, u) => [201, createFolder(c, r, u)], true],
  ['GET', new RegExp(`^/users/${seg}/mailFolders/${seg}$`), (c, r, u, f) => getFolder(c, r, u, f), true],
  ['DELETE', new RegExp(`^/users/${seg}/mailFolders/${seg}$`), (c, r, u, f) => [204, deleteFolder(c, r, u, f)], true],
  ['POST', new RegExp(`^/users/${seg}/mailFolders/${seg}/move$`), (c, r, u, f) => [201, moveFolder(c, r, u, f)], true],
  ['GET', new RegExp(`^/users/${seg}/mailFolders/${seg}/messages$`), (c, r, u, f) => messages.listInFolder(c, r, u, f), true],
  ['GET', new RegExp(`^/users/${seg}/mailFolders/${seg}/messages/delta$`), (c, r, u, f) => journal.delta(c, r, u, f), true],
  ['GET', new RegExp(`^/users/${seg}/messages/${seg}/\\$value$`), (c, r, u, m) => journal.mimeValue(c, r, u, m), true],
  ['POST', new RegExp(`^/users/${seg}/messages/${seg}/move$`), (c, r, u, m) => journal.moveMessage(c, r, u, m), true],
  ['POST', new RegExp(`^/users/${seg}/mailFolders/${seg}/messages$`), (c, r, u, f) => [201, messages.createInFolder(c, r, u, f)], true],
  ['POST', new RegExp(`^/users/${seg}/mailFolders/${seg}/importMime$`), async (c, r, u, f) => [201, await messages.importMime(c, r, u, f)], true],
  ['POST', new RegExp(`^/users/${seg}/messages$`), async (c, r, u) => [201, await messages.createDraft(c, r, u)], true],
  ['GET', new RegExp(`^/users/${seg}/messages/${seg}$`), (c, r, u, m) => messages.getMessage(c, r, u, m), true],
  ['DELETE', new RegExp(`^/users/${seg}/messages/${seg}$`), (c, r, u, m) => [204, messages.deleteMessage(c, r, u, m)], true],
  ['GET', new RegExp(`^/users/${seg}/messages/${seg}/attachments$`), (c, r, u, m) => messages.listAttachments(c, r, u, m), true],
  ['GET', new RegExp(`^/users/${seg}/messages/${seg}/attachments/${seg}$`), (c, r, u, m, a) => messages.getAttachment(c, r, u, m, a), true],
  ['POST', new RegExp(`^/users/${seg}/messages/${seg}/attachments$`), (c, r, u, m) => [201, messages.addAttachment(c, r, u, m)], true],
  [
    'POST',
    new RegExp(`^/users/${seg}/messages/${seg}/attachments/createUploadSession$`),
    (c, r, u, m) => [201, messages.createUploadSession(c, r, u, m)],
    true,
  ],
];

export async function startGraphSimulator(input: GraphSimOptionsInput & { port?: number; users?: DirectoryUser[] } = {}): Promise<GraphSimulator> {
  let options = graphSimOptionsSchema.parse(input);
  // Mailboxes live on across restarts when there is a dump folder, as the local stack's Azurite data does.
  const stateDir = options.dumpDir ? join(options.dumpDir, 'state') : undefined;
  const store = stateDir ? SimStore.load(stateDir) : new SimStore();
  const throttle = new MailboxThrottle(() => options);
  const random = new Random(options.seed);
  const requests = { total: 0, byRoute: {} as Record<string, number> };
  let dumpTimer: NodeJS.Timeout | undefined;
  const users = input.users ?? seededDirectory();
  const nameOf = (id: string) => users.find((u) => u.id === id)?.userPrincipalName ?? id;
  const dump = () => {
    if (!options.dumpDir) return;
    store.dump(join(options.dumpDir, 'mailboxes'), nameOf);
  };
  const ctx: SimContext = {
    users,
    store,
    get options() {
      return options;
    },
    throttle,
    baseUrl: '',
    changed(userId, messageIds) {
      if (!options.dumpDir || !stateDir) return;
      store.persist(stateDir, userId, messageIds);
      store.viewChanged(userId, messageIds);
      // The files for people to read are batched: written about once a second, only what changed.
      dumpTimer ??= setTimeout(() => {
        dumpTimer = undefined;
        dump();
      }, 1000);
    },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => graphError(req, res, 500, 'InternalServerError', err.message));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', ctx.baseUrl);
    if (url.pathname.startsWith('/_sim/')) return inspect(url, res);
    let body: Buffer;
    try {
      body = await readBody(req, url.pathname.startsWith('/upload/') ? messages.UPLOAD_CHUNK_LIMIT + 1 : REQUEST_LIMIT);
    } catch {
      return graphError(req, res, 413, 'RequestEntityTooLarge', 'The request is larger than 4 MB.');
    }
    requests.total++;
    // Latency is spent holding the mailbox's concurrency slot, as a slow service does.
    const latency = () => (options.latencyMs > 0 ? sleep(options.latencyMs) : Promise.resolve());

    const upload = /^\/upload\/AttachmentSessions\/([^/]+)$/.exec(url.pathname);
    if (upload && req.method === 'PUT') {
      const session = store.uploads.get(upload[1]);
      let release = () => undefined as void;
      try {
        if (injectFault(req, res)) return;
        if (session) release = throttle.enter(session.userId, body.length);
        await latency();
        const answer = messages.uploadChunk(ctx, { req, url, body, version: 'v1.0' }, upload[1]);
        if (answer.body) sendJson(res, answer.status, answer.body, answer.headers);
        else {
          res.writeHead(answer.status, answer.headers);
          res.end();
        }
      } catch (err) {
        answerError(req, res, err);
      } finally {
        release();
      }
      return;
    }

    const version = /^\/(v1\.0|beta)(\/.*)$/.exec(url.pathname);
    if (!version) return graphError(req, res, 400, 'BadRequest', 'Invalid version: use /v1.0 or /beta.');
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
      return graphError(req, res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    }
    const path = version[2];
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!route) return graphError(req, res, 400, 'BadRequest', `Resource not found for the segment in ${req.method} ${path}.`);
    const groups = route[1].exec(path)!.slice(1);
    const key = `${req.method} ${route[1].source}`;
    requests.byRoute[key] = (requests.byRoute[key] ?? 0) + 1;
    let release = () => undefined as void;
    try {
      if (injectFault(req, res)) return;
      if (route[3]) {
        const owner = findUser(ctx, groups[0]);
        if (owner && options.failUsers.some((u) => u.toLowerCase() === owner.userPrincipalName.toLowerCase() || u === owner.id)) {
          throw new GraphHttpError(500, 'InternalServerError', 'Simulated mailbox failure.');
        }
        if (owner) release = throttle.enter(owner.id, req.method === 'GET' ? 0 : body.length);
      }
      await latency();
      const result = await route[2](ctx, { req, url, body, version: version[1] as 'v1.0' | 'beta' }, ...groups);
      const [status, payload] = Array.isArray(result) ? (result as [number, unknown]) : [200, result];
      const isCreate = req.method === 'POST' && /\/(messages|importMime)$/.test(path);
      if (options.rate503AfterCommit > 0 && isCreate && random.next() < options.rate503AfterCommit) {
        // The message is stored; only the answer is lost to a busy front end.
        return graphError(req, res, 503, 'ServiceUnavailable', 'Simulated outage after the write.', { 'Retry-After': String(options.retryAfterSeconds) });
      }
      if (
        options.rateTimeoutAfterCommit > 0 &&
        req.method === 'POST' &&
        /\/(messages|importMime|attachments)$/.test(path) &&
        random.next() < options.rateTimeoutAfterCommit
      ) {
        // Stored, and then the connection drops before any answer.
        res.socket?.destroy();
        return;
      }
      if (status === 204) {
        res.writeHead(204);
        res.end();
        return;
      }
      if (payload && typeof payload === 'object' && 'raw' in payload && Buffer.isBuffer(payload.raw)) {
        const raw = payload as { raw: Buffer; contentType: string };
        res.writeHead(status, { 'Content-Type': raw.contentType, 'Content-Length': String(raw.raw.length) });
        res.end(raw.raw);
        return;
      }
      sendJson(res, status, payload);
    } catch (err) {
      answerError(req, res, err);
    } finally {
      release();
    }
  }

  function injectFault(req: IncomingMessage, res: ServerResponse): boolean {
    const roll = random.next();
    let edge = options.rate429;
    if (roll < edge)
      return (void graphError(req, res, 429, 'TooManyRequests', 'Too many requests.', { 'Retry-After': String(options.retryAfterSeconds) }), true);
    if (roll < (edge += options.rate500)) return (void graphError(req, res, 500, 'InternalServerError', 'Simulated server error.'), true);
    if (roll < (edge += options.rate503))
      return (void graphError(req, res, 503, 'ServiceUnavailable', 'Simulated outage.', { 'Retry-After': String(options.retryAfterSeconds) }), true);
    if (roll < (edge += options.rate504)) return (void graphError(req, res, 504, 'GatewayTimeout', 'Simulated gateway timeout.'), true);
    if (roll < edge + options.rateTimeout) {
      // No answer at all: the connection drops, as a timed-out request does.
      res.socket?.destroy();
      return true;
    }
    return false;
  }

  function answerError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (err instanceof GraphHttpError) return graphError(req, res, err.status, err.code, err.message, err.headers);
    graphError(req, res, 500, 'InternalServerError', (err as Error).message);
  }

  function inspect(url: URL, res: ServerResponse): void {
    if (url.pathname === '/_sim/stats') return sendJson(res, 200, { requests, throttled: throttle.stats });
    if (url.pathname === '/_sim/mailboxes') {
      return sendJson(res, 200, {
        value: [...store.mailboxes.entries()].map(([id, mb]) => ({
          user: nameOf(id),
          folders: [...mb.folders.values()]
            .map((f) => ({ displayName: f.displayName, messages: [...mb.messages.values()].filter((m) => m.folderId === f.id).length }))
            .filter((f) => f.messages > 0),
        })),
      });
    }
    const one = /^\/_sim\/mailboxes\/([^/]+)$/.exec(url.pathname);
    const user = one ? findUser(ctx, one[1]) : undefined;
    if (!user) return sendJson(res, 404, { error: { code: 'NotFound', message: 'no such simulator route or user' } });
    const mb = store.mailbox(user.id);
    return sendJson(res, 200, {
      user: user.userPrincipalName,
      messages: [...mb.messages.values()].map(({ attachments, body: _b, ...m }) => ({
        ...m,
        folder: mb.folders.get(m.folderId)?.displayName,
        attachments: attachments.map(({ content: _c, ...a }) => a),
      })),
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(input.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  ctx.baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: ctx.baseUrl,
    port,
    store,
    users,
    throttleStats: throttle.stats,
    requests,
    setOptions(o) {
      options = graphSimOptionsSchema.parse({ ...options, ...o });
    },
    deliver(upn, mime) {
      const user = findUser(ctx, upn);
      if (!user) throw new Error(`no simulated user ${upn}`);
      return journal.deliver(ctx, user.id, mime);
    },
    expireDeltaLinks: journal.expireDeltaLinks,
    messagesOf(upn, folderName) {
      const user = findUser(ctx, upn);
      if (!user) return [];
      const mb = store.mailbox(user.id);
      return [...mb.messages.values()].filter((m) => !folderName || mb.folders.get(m.folderId)?.displayName === folderName);
    },
    dump,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(dumpTimer);
        dumpTimer = undefined;
        dump();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => (tooLarge ? reject(new Error('too large')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export type { Server };
