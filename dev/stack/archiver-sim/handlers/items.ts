/** GET /api/v1/products/{product}/items: a window's items as NDJSON pages with a Next-Cursor header. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import type { SimulatorState } from '../state';

const MAX_LIMIT = 1000;

interface Cursor {
  from: string;
  to: string;
  offset: number;
}

export async function handleListItems(url: URL, product: string, _req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  if (!state.source.products().includes(product)) return errors.notFound(res, `unknown product ${product}`);
  const from = new Date(url.searchParams.get('from') ?? '');
  const to = new Date(url.searchParams.get('to') ?? '');
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to)
    return errors.badRequest(res, 'from and to must be ISO timestamps with from < to');
  const limit = Number(url.searchParams.get('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return errors.badRequest(res, `limit must be 1..${MAX_LIMIT}`);
  let offset = 0;
  const cursorText = url.searchParams.get('cursor');
  if (cursorText) {
    let cursor: Cursor;
    try {
      cursor = JSON.parse(Buffer.from(cursorText, 'base64url').toString('utf8')) as Cursor;
    } catch {
      return errors.badRequest(res, 'cursor is not one this archiver issued');
    }
    if (cursor.from !== from.toISOString() || cursor.to !== to.toISOString()) return errors.badRequest(res, 'cursor belongs to another window');
    offset = cursor.offset;
  }
  const items = await state.source.listWindow(product, from, to);
  const start = offset > 0 && state.options.faults.duplicatesAcrossPages ? offset - 1 : offset;
  const page = items.slice(start, offset + limit);
  const next =
    offset + limit < items.length
      ? Buffer.from(JSON.stringify({ from: from.toISOString(), to: to.toISOString(), offset: offset + limit } satisfies Cursor)).toString('base64url')
      : undefined;
  if (start < offset) state.stats.faults.duplicates++;
  state.stats.pages++;
  const body = Buffer.from(page.map((i) => `${i.line}\n`).join(''), 'utf8');
  const headers: Record<string, string | number> = { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Length': body.length };
  if (next) headers['Next-Cursor'] = next;
  res.writeHead(200, headers);
  res.end(body);
}
