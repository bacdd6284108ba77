/**
 * HTTP triggers for the dev host: a server on 127.0.0.1 only that routes /api/<route> to the
 * registered function the way the Functions host does (`{name}` and catch-all `{*name}` segments,
 * the function's methods), builds the HttpRequest the Node.js worker would, and writes back what
 * the handler returns. It also stands in for App Service authentication: a client's
 * X-MS-CLIENT-PRINCIPAL header is dropped and the loopback operator's is passed instead, as the
 * platform replaces the header with the signed-in caller's in Azure.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loopbackPrincipal, PRINCIPAL_HEADER } from '../../../shared/admin/operator-principal';
import type { RegisteredFunction } from './functions-core';

/** host.json extensions.http.routePrefix defaults to "api" (https://learn.microsoft.com/en-us/azure/azure-functions/functions-host-json#http). */
const ROUTE_PREFIX = 'api';
/** Request bodies the dev host reads; the operator API takes small JSON bodies only. */
const MAX_BODY_BYTES = 1024 * 1024;

interface Route {
  fn: RegisteredFunction;
  methods: string[];
  match: (path: string) => Record<string, string> | undefined;
}

export class HttpListener {
  private server?: Server;
  private readonly routes: Route[];

  constructor(
    functions: RegisteredFunction[],
    private readonly invoke: (fn: RegisteredFunction, request: unknown) => Promise<unknown>,
  ) {
    this.routes = functions.map((fn) => ({
      fn,
      methods: ((fn.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      match: routeMatcher(typeof fn.trigger.route === 'string' ? fn.trigger.route : fn.name),
    }));
  }

  /** Listens on 127.0.0.1:port (0: any free port) and returns the base URL. */
  async start(port: number): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => (res.headersSent ? res.destroy() : end(res, 500, err.message)));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      return end(res, 400, 'the path is not valid percent-encoding');
    }
    const prefix = `${ROUTE_PREFIX}/`;
    const method = (req.method ?? 'GET').toUpperCase();
    const found = path.startsWith(prefix) ? this.routes.map((r) => ({ r, params: r.match(path.slice(prefix.length)) })).find((x) => x.params) : undefined;
    if (!found) return end(res, 404, 'no function answers this path');
    if (!found.r.methods.includes(method)) return end(res, 405, `${method} is not allowed here`);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      return end(res, 413, (err as Error).message);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== PRINCIPAL_HEADER) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    headers[PRINCIPAL_HEADER] = loopbackPrincipal();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy the functions registered with (see invoker.ts)
    const { HttpRequest, HttpResponse } = require('@azure/functions') as typeof import('@azure/functions');
    const request = new HttpRequest({
      method,
      url: `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`,
      headers,
      params: found.params,
      body: body.length > 0 ? { bytes: body } : undefined,
    });
    try {
      const result = await this.invoke(found.r.fn, request);
      const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
      const out = Buffer.from(await response.arrayBuffer());
      const outHeaders: Record<string, string> = {};
      response.headers.forEach((v, k) => (outHeaders[k] = v));
      res.writeHead(response.status, outHeaders).end(out);
    } catch (err) {
      end(res, 500, `the function failed: ${(err as Error).message}`);
    }
  }
}

function end(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify({ error })}\n`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A route template's matcher: literal segments, `{name}` (one segment) and a trailing `{*name}` (the rest, possibly empty). */
export function routeMatcher(template: string): (path: string) => Record<string, string> | undefined {
  const parts = template.split('/').filter(Boolean);
  return (path) => {
    const segments = path.split('/');
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const catchAll = /^\{\*(\w+)\}$/.exec(part);
      if (catchAll) {
        params[catchAll[1]] = segments.slice(i).join('/');
        return params;
      }
      const segment = segments[i];
      if (segment === undefined) return undefined;
      const name = /^\{(\w+)(?::[^}]*)?\}$/.exec(part);
      if (name) params[name[1]] = segment;
      else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
    }
    return segments.length === parts.length ? params : undefined;
  };
}
