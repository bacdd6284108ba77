/** GET /api/v1/products/{product}/items: a window's items as NDJSON pages with a Next-Cursor header. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import type { SimulatorState } from '../state';
import { setTimeout as sleep } from 'node:timers/promises';
import { chosen } from '../random';

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
  const f = state.options.faults;
  const items = await state.source.listWindow(product, from, to);
  const start = offset > 0 && f.duplicatesAcrossPages ? offset - 1 : offset;
  const page = items.slice(start, offset + limit);
  // An endless cursor hands out the second page's cursor for ever.
  const nextOffset = f.endlessCursor ? limit : offset + limit;
  const next =
    nextOffset < items.length
      ? Buffer.from(JSON.stringify({ from: from.toISOString(), to: to.toISOString(), offset: nextOffset } satisfies Cursor)).toString('base64url')
      : undefined;
  if (start < offset) state.stats.faults.duplicates++;
  state.stats.pages++;
  const lines = page.map((i) => i.line);
  if (f.announceAttachmentBytes > 0) {
    const at = lines.findIndex((l) => (JSON.parse(l) as { attachments: unknown[] }).attachments.length > 0);
    if (at >= 0) {
      const item = JSON.parse(lines[at]) as { attachments: { size: number }[] };
      item.attachments[0].size = f.announceAttachmentBytes;
      lines[at] = JSON.stringify(item);
    }
  }
  if (f.hugeLineBytes > 0 && lines.length > 0) {
    const item = JSON.parse(lines[0]) as Record<string, unknown>;
    lines[0] = JSON.stringify({ ...item, padding: 'x'.repeat(Math.max(0, f.hugeLineBytes - lines[0].length - 14)) });
  }
  const body = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  const headers: Record<string, string | number> = { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Length': body.length };
  if (next) headers['Next-Cursor'] = next;
  res.writeHead(200, headers);
  if (chosen('cut-page', `${product}:${offset}`, f.cutPageRate)) {
    state.stats.faults.cutPages++;
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    return void res.socket?.end();
  }
  if (f.trickleMs > 0) {
    state.stats.faults.trickled++;
    for (let i = 0; i < body.length && !res.destroyed; i++) {
      res.write(body.subarray(i, i + 1));
      await sleep(f.trickleMs);
    }
  }
  res.end(body.subarray(f.trickleMs > 0 ? body.length : 0));
}
