/**
 * A converted message as a reviewer's mail client shows it: a reading-pane header (subject, from,
 * to, date, attachments) over the message's HTML part, with inline images resolved from their
 * `cid:` parts. The message is parsed with postal-mime, an independent parser, so what is shown is
 * what a client would find in the bytes, not what the converter meant to write. Header fields are
 * plain left-to-right text with no markup of ours, so a display name's own Unicode isolates are all
 * that keeps its number in place (HTML's `dir="auto"` would not do: it ignores isolate characters
 * when it picks a direction).
 */
import PostalMime from 'postal-mime';
import { escapeHtml } from '../../shared/text/html';

export async function readerPage(eml: Buffer): Promise<string> {
  const parsed = await PostalMime.parse(eml);
  let html = parsed.html ?? `<pre>${escapeHtml(parsed.text ?? '')}</pre>`;
  for (const a of parsed.attachments) {
    if (!a.contentId) continue;
    const cid = a.contentId.replace(/^<|>$/g, '');
    const data = Buffer.from(a.content as ArrayBuffer).toString('base64');
    html = html.split(`cid:${cid}`).join(`data:${a.mimeType};base64,${data}`);
  }
  const field = (name: string, value: string) =>
    `<div data-field="${name}" style="margin:2px 0"><span style="color:#555;display:inline-block;width:90px">${name}</span><span>${escapeHtml(value)}</span></div>`;
  // Display names, as Outlook shows them; the address only when there is no name.
  const person = (a: { name?: string; address?: string }) => a.name || (a.address ?? '');
  const files = parsed.attachments.filter((a) => a.disposition !== 'inline');
  const pane = [
    '<div style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;border-bottom:1px solid #ccc;padding:8px 8px 10px;margin-bottom:10px;background:#f6f6f6">',
    `<div style="font-size:18px;font-weight:600;margin-bottom:6px">${escapeHtml(parsed.subject ?? '')}</div>`,
    field('From', parsed.from ? person(parsed.from) : ''),
    field('To', (parsed.to ?? []).map(person).join('; ')),
    field('Date', parsed.date ?? ''),
    files.length > 0 ? field('Attachments', files.map((a) => `${a.filename ?? 'unnamed'} (${(a.content as ArrayBuffer).byteLength} bytes)`).join('; ')) : '',
    '</div>',
  ].join('');
  return /<body[^>]*>/i.test(html) ? html.replace(/<body[^>]*>/i, (tag) => `${tag}${pane}`) : `<!DOCTYPE html><html><body>${pane}${html}</body></html>`;
}
