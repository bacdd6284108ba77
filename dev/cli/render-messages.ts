/**
 * `npm run render:messages -- [--out DIR] [--only TEXT]`: converts the review gallery
 * (dev/render/gallery.ts) with the real converter and renders each message's HTML part in headless
 * Chromium to a PNG, beside its .eml, the way a reviewer sees it. Installs Chromium and fonts from
 * the OS packages when they are missing (as root, with apt-get). Output goes to .local/render/
 * (ignored by git).
 */
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { appRoot } from '../stack/app-root';
import { parseCommandLine, runCommand } from './command-line';
import { convertSample, gallery } from '../render/gallery';
import { ensureChromium, RENDER_PACKAGES, screenshot } from '../render/chromium';
import { readerPage } from '../render/reader-page';

const spec = {
  usage: 'npm run render:messages -- [--out DIR] [--only TEXT]',
  help: `Converts the review gallery (one message per item type and product, and the hard cases) and
renders each to a PNG with headless Chromium, beside its .eml.
  --out DIR     where to write (default .local/render)
  --only TEXT   only the messages whose name contains TEXT
Installs ${RENDER_PACKAGES.join(', ')} with apt-get when missing (needs root).`,
  options: { out: { type: 'string' }, only: { type: 'string' } },
} as const;

runCommand(async () => {
  const { values } = parseCommandLine(spec);
  const out = values.out ? resolve(values.out) : join(appRoot, '.local', 'render');
  const only = values.only ?? '';
  const samples = gallery.filter((s) => s.name.includes(only));
  if (samples.length === 0) {
    console.error(`no gallery message matches "${only}" (names: ${gallery.map((s) => s.name).join(', ')})`);
    return 2;
  }
  const chromium = await ensureChromium(RENDER_PACKAGES, (line) => console.log(line));
  mkdirSync(out, { recursive: true });
  for (const sample of samples) {
    const emlFile = join(out, `${sample.name}.eml`);
    await pipeline((await convertSample(sample)).eml, createWriteStream(emlFile));
    const pngFile = join(out, `${sample.name}.png`);
    await screenshot(chromium, await readerPage(readFileSync(emlFile)), pngFile);
    console.log(pngFile);
  }
  console.log(`rendered ${samples.length} message(s) into ${out}`);
  return 0;
});
