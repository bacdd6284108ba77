import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { convertSample, gallery } from '../../../dev/render/gallery';
import { ensureChromium, layoutOf, type PageLayout, type Placed } from '../../../dev/render/chromium';
import { readerPage } from '../../../dev/render/reader-page';

/** Lays out a gallery message as the render command shows it (reading pane + HTML part). */
async function layoutOfSample(name: string, probes: string[]): Promise<PageLayout> {
  const sample = gallery.find((s) => s.name.endsWith(name))!;
  const eml = await buffer((await convertSample(sample)).eml);
  return layoutOf(chromium, await readerPage(eml), probes);
}

function at(layout: PageLayout, row: string, probe: string): Placed {
  const found = layout.placed.filter((p) => p.row === row && p.probe === probe);
  assert.equal(found.length, 1, `"${probe}" once in the ${row} row (found ${found.length})`);
  return found[0];
}

/** a is drawn before b on a left-to-right page: left of it on the same line, or on an earlier line. */
function before_(a: Placed, b: Placed, what: string): void {
  if (Math.abs(a.top - b.top) >= 2) return assert.ok(a.top < b.top, `${what}: "${a.probe}" on a line above "${b.probe}"`);
  assert.ok(a.right <= b.left + 0.5, `${what}: "${a.probe}" (${a.left}-${a.right}) before "${b.probe}" (${b.left}-${b.right})`);
}

/** A number reads left to right: its "(" and "+" are left of its last digit. */
function readsLeftToRight(p: Placed): void {
  assert.ok(p.firstCharLeft < p.lastCharLeft, `"${p.probe}" is drawn left to right`);
}

let chromium = '';

describe('rendered messages: what a reviewer sees in headless Chromium', () => {
  before(async () => {
    chromium = await ensureChromium(['chromium']);
  });

  it('a right-to-left name comes before its number, and the number reads left to right, in the pane and the body', async () => {
    const omar = ['عمر حداد', '(+447700900103)'];
    const layout = await layoutOfSample('chat-group-rtl-cjk-emoji', omar);
    for (const row of ['From', 'pane From']) {
      before_(at(layout, row, omar[0]), at(layout, row, omar[1]), row);
      readsLeftToRight(at(layout, row, omar[1]));
    }
  });

  it('participants keep their order, each name before its own number, next to right-to-left neighbours', async () => {
    const labels = ['Olivia Bennett', '(+447700900101)', 'נועה לוי', '(+33639980102)', '陈伟 (Chen Wei)', '(+61491570101)'];
    const layout = await layoutOfSample('chat-group-rtl-cjk-emoji', labels);
    for (const row of ['To', 'pane To']) {
      for (let i = 0; i + 1 < labels.length; i++) before_(at(layout, row, labels[i]), at(layout, row, labels[i + 1]), `${row} ${i}`);
      readsLeftToRight(at(layout, row, '(+33639980102)'));
    }
  });

  it('a voicemail from a right-to-left caller reads "from name (number) to ..." in its first line', async () => {
    const probes = ['عمر حداد', '(+447700900103)', 'Olivia Bennett'];
    const layout = await layoutOfSample('enterprise-number--voicemail', probes);
    for (const row of ['From', 'pane From']) before_(at(layout, row, probes[0]), at(layout, row, probes[1]), row);
    const lead = layout.placed.filter((p) => p.row === null);
    const first = (probe: string) => lead.filter((p) => p.probe === probe).sort((a, b) => a.top - b.top || a.left - b.left)[1];
    // [0] is the subject line, [1] the body's first line.
    before_(first(probes[0]), first(probes[1]), 'lead');
    before_(first(probes[1]), first(probes[2]), 'lead');
  });
});
