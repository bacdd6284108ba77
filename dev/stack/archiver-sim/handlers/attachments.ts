/** GET /api/v1/attachments/{id}: the bytes as a stream, with Range support for resuming. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import { mediaStream } from '../media';
import type { SimulatorState } from '../state';
import { chosen } from '../random';

export async function handleDownload(id: string, req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  const attachment = await state.source.attachment(id);
  if (!attachment) return errors.notFound(res, `no attachment ${id}`);
  const f = state.options.faults;
  if (chosen('gone', id, f.goneAttachmentRate)) {
    state.stats.faults.gone++;
    return errors.notFound(res, `attachment ${id} was purged`);
  }
  let offset = 0;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d+)-$/.exec(range);
    if (!m || Number(m[1]) >= attachment.size) {
      res.writeHead(416, { 'Content-Range': `bytes */${attachment.size}` });
      return void res.end();
    }
    offset = Number(m[1]);
  }
  const attempts = (state.downloadAttempts.get(id) ?? 0) + 1;
  state.downloadAttempts.set(id, attempts);
  const cutAt = attempts <= state.options.faults.resetDownloads ? offset + Math.floor((attachment.size - offset) / 2) : undefined;

  const headers: Record<string, string | number> = {
    'Content-Type': attachment.contentType,
    'Content-Length': attachment.size - offset,
    'Accept-Ranges': 'bytes',
  };
  if (offset > 0) headers['Content-Range'] = `bytes ${offset}-${attachment.size - 1}/${attachment.size}`;
  res.writeHead(offset > 0 ? 206 : 200, headers);
  state.stats.downloads++;
  if (chosen('stalled', id, f.stalledAttachmentRate)) {
    // Headers, then nothing, until the client gives up.
    state.stats.faults.stalled++;
    res.flushHeaders();
    return;
  }
  // A body that ends early, with a clean close: shorter than its Content-Length.
  const shortAt = chosen('short', id, f.shortAttachmentRate) ? offset + Math.max(1, Math.floor((attachment.size - offset) / 3)) : undefined;
  let sent = offset;
  for await (const chunk of mediaStream(attachment.spec, offset)) {
    let buf = chunk as Buffer;
    if (cutAt !== undefined && sent + buf.length > cutAt) {
      buf = buf.subarray(0, cutAt - sent);
      if (buf.length > 0) await write(res, buf);
      state.stats.faults.resets++;
      // A reset mid-body: the client sees ECONNRESET / premature close.
      res.socket?.resetAndDestroy();
      return;
    }
    if (shortAt !== undefined && sent + buf.length >= shortAt) {
      await write(res, buf.subarray(0, shortAt - sent));
      state.stats.faults.short++;
      res.socket?.end();
      return;
    }
    sent += buf.length;
    if (!(await write(res, buf))) return;
  }
  res.end();
}

/** Writes with back-pressure, so a 150 MB stream never piles up in memory. */
function write(res: ServerResponse, buf: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(buf)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
