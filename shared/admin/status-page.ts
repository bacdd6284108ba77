/**
 * The status page: one self-contained HTML document (no external assets, one nonce'd script and
 * style under a strict CSP) that reads the operator API beside it and renders what it answers with
 * textContent only, so nothing an item carries can run in the operator's browser.
 */
export function statusPage(nonce: string, operator: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mobile archive: status</title>
<style nonce="${nonce}">
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #a4262c; font-weight: 600; } .good { color: #107c10; } .muted { color: #666; }
button { font: inherit; margin: 0 .2rem .2rem 0; } #message { min-height: 1.4em; padding: .3rem 0; }
form label { margin-right: .6rem; } input, select { font: inherit; }
</style>
</head>
<body>
<h1>Mobile archive connector</h1>
<div class="muted">Signed in as <span id="operator"></span> · <span id="now"></span> · schedule <code id="schedule"></code></div>
<div id="message" role="status"></div>

<h2>Connectors</h2>
<table id="connectors"><thead><tr>
<th>connector</th><th>source</th><th>state</th><th>last run</th>
<th class="n">fetched</th><th class="n">converted</th><th class="n" title="items with a copy in at least one mailbox">items imported</th>
<th class="n" title="mailbox copies: an item goes to every mapped participant">mailbox copies</th><th class="n">unmapped</th><th class="n">failed</th>
<th>next run</th><th>actions</th></tr></thead><tbody></tbody></table>

<h2>Failures <span class="muted" id="poison"></span></h2>
<table id="failures"><thead><tr><th>connector</th><th>stage</th><th>item</th><th>mailbox</th><th>reason</th><th>run</th><th>at</th><th></th></tr></thead><tbody></tbody></table>

<h2>Unmapped items</h2>
<table id="unmapped"><thead><tr><th>connector</th><th>item</th><th>run</th><th>why</th><th>at</th></tr></thead><tbody></tbody></table>

<h2>Runs</h2>
<table id="runs"><thead><tr><th>run</th><th>started</th><th>connector</th><th>state</th><th class="n">fetched</th><th class="n">items imported</th><th class="n">mailbox copies</th><th class="n">unmapped</th><th class="n">failed</th><th>admin log</th></tr></thead><tbody></tbody></table>

<h2>Items</h2>
<form id="search">
<label>run <input name="run" size="22"></label>
<label>connector <input name="connector" size="10"></label>
<label>outcome <select name="outcome"><option></option><option>imported</option><option>duplicate</option><option>partial</option><option>unmapped</option><option>failed</option><option>converted</option><option>written</option></select></label>
<label>number <input name="number" size="14"></label>
<label>mailbox <input name="mailbox" size="22"></label>
<button type="submit">Search</button>
</form>
<table id="items"><thead><tr><th>run</th><th>connector</th><th>stage</th><th>item</th><th>mailbox</th><th>outcome</th><th>reason</th><th>at</th></tr></thead><tbody></tbody></table>
<div class="muted" id="items-note"></div>

<script nonce="${nonce}">
'use strict';
const api = (path) => 'operator/' + path;
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
const row = (cells) => { const tr = document.createElement('tr'); for (const c of cells) tr.append(c instanceof Node ? c : el('td', c)); return tr; };
const num = (v, bad) => el('td', v, 'n' + (bad && v > 0 ? ' bad' : ''));
const fill = (id, rows) => { const body = document.querySelector('#' + id + ' tbody'); body.replaceChildren(...rows); };
const say = (text, bad) => { const m = document.getElementById('message'); m.textContent = text; m.className = bad ? 'bad' : 'good'; };
async function get(path) { const r = await fetch(api(path), { credentials: 'same-origin' }); const b = await r.json(); if (!r.ok) throw new Error(b.error || r.status); return b; }
async function post(path, body) {
  const r = await fetch(api(path), { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const b = await r.json(); if (!r.ok) throw new Error(b.error || r.status); return b;
}
function button(label, action, run) {
  const b = el('button', label); b.type = 'button'; b.dataset.action = action;
  b.addEventListener('click', async () => { b.disabled = true; try { say(await run()); await refresh(); } catch (e) { say(label + ': ' + e.message, true); } finally { b.disabled = false; } });
  return b;
}
const queued = (r) => { const q = Object.entries(r.queued || {}); const left = (r.left || []).length; return (q.length ? 'queued ' + q.map(([k, n]) => n + ' to ' + k).join(', ') : 'nothing to re-drive') + (left ? '; ' + left + ' not re-drivable' : ''); };

async function refresh() {
  const [c, f, u, r] = await Promise.all([get('connectors'), get('failures'), get('unmapped'), get('runs?limit=10')]);
  document.getElementById('now').textContent = c.now;
  document.getElementById('schedule').textContent = c.schedule;
  fill('connectors', c.connectors.map((x) => {
    const l = x.lastRun || {};
    const actions = el('td');
    actions.append(
      button('Test connection', 'test-connection', async () => { const t = await post('test-connection', { connector: x.connectorId }); if (!t.ok) throw new Error(t.detail); return x.connectorId + ': ' + t.detail; }),
      button('Re-drive failed', 'redrive-failed', async () => x.connectorId + ': ' + queued(await post('redrive', { kind: 'failed', connector: x.connectorId }))),
      button('Re-drive unmapped', 'redrive-unmapped', async () => x.connectorId + ': ' + queued(await post('redrive', { kind: 'unmapped', connector: x.connectorId }))),
      button('Re-drive poisoned', 'redrive-poisoned', async () => x.connectorId + ': ' + queued(await post('redrive', { kind: 'poisoned', connector: x.connectorId }))),
    );
    const tr = row([x.connectorId, x.source, el('td', x.state, x.state === 'failed' ? 'bad' : x.state === 'done' ? 'good' : ''), l.runId || '',
      num(l.fetched || 0), num(l.converted || 0), num(l.itemsImported || 0), num(l.copies || 0), num(x.unmapped, true), num(x.failed, true), x.nextRunAt, actions]);
    tr.dataset.connector = x.connectorId;
    if (l.message) tr.title = l.message;
    return tr;
  }));
  const poisoned = f.poison.filter((p) => p.messages > 0);
  document.getElementById('poison').textContent = poisoned.length ? 'poison queues: ' + poisoned.map((p) => p.queue + ' ' + p.messages).join(', ') : '';
  fill('failures', f.failures.map((x) => {
    const tr = row([x.connectorId, x.stage, x.itemId || x.key, x.mailbox || '', x.reason, x.runId, x.at,
      el('td').appendChild(button('Re-drive', 'redrive-item', async () => queued(await post('redrive', { kind: 'failed', connector: x.connectorId, item: x.itemId || x.key })))).parentNode]);
    tr.dataset.item = x.itemId || x.key; if (x.mailbox) tr.dataset.mailbox = x.mailbox;
    return tr;
  }));
  fill('unmapped', u.unmapped.map((x) => row([x.connectorId, x.itemId, x.runId, x.reasons.join('; '), x.at])));
  fill('runs', r.runs.flatMap((run) => run.connectors.map((x) => {
    const link = el('a', 'CSV'); link.href = api('runs/' + encodeURIComponent(run.runId) + '/log.csv?connector=' + encodeURIComponent(x.connectorId));
    const cell = el('td'); cell.append(link);
    return row([run.runId, run.startedAt || '', x.connectorId, x.state, num(x.fetched), num(x.itemsImported), num(x.copies), num(x.unmapped, true), num(x.failed, true), cell]);
  })));
}

document.getElementById('operator').textContent = ${JSON.stringify(operator).replace(/</g, '\\u003c')};
document.getElementById('search').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = new URLSearchParams([...new FormData(e.target)].filter(([, v]) => v !== ''));
  try {
    const found = await get('items?' + q);
    fill('items', found.items.map((x) => row([x.runId, x.connectorId, x.stage, x.itemId, x.mailbox || '', x.outcome, x.reason || '', x.recordedAt])));
    document.getElementById('items-note').textContent = found.items.length + ' item row(s)' + (found.truncated ? ' (more: narrow the search)' : '');
  } catch (err) { say('search: ' + err.message, true); }
});
refresh().catch((e) => say('could not load the status: ' + e.message, true));
</script>
</body>
</html>
`;
}
