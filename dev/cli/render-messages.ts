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
import { runCommand } from '../stack/tool-storage';
import { convertSample, gallery } from '../render/gallery';
import { ensureChromium, RENDER_PACKAGES, screenshot } from '../render/chromium';
import { readerPage } from '../render/reader-page';

const USAGE = `usage: npm run render:messages -- [--out DIR] [--only TEXT]

Converts the review gallery (one message per item type and product, and the hard cases) and
renders each to a PNG with headless Chromium, beside its .eml.
  --out DIR     where to write (default .local/render)
  --only TEXT   only the messages whose name contains TEXT
Installs ${RENDER_PACKAGES.join(', ')} with apt-get when missing (needs root).`;

runCommand(async () => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let out = join(appRoot, '.local', 'render');
  let only = '';
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if ((args[i] === '--out' || args[i] === '--only') && value !== undefined && !value.startsWith('--')) {
      if (args[i] === '--out') out = resolve(value);
      else only = value;
      i++;
    } else {
      console.error(`unknown or incomplete argument: ${args[i]}\n\n${USAGE}`);
      return 2;
    }
  }
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
