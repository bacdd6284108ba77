/**
 * Headless Chromium from the OS packages (Debian's `chromium`), never a browser a test tool
 * downloads. It renders a message's HTML part as a reviewer's mail client would, to a PNG, and
 * reports where chosen strings landed on the page, so a test can check the visual order of a name
 * and its number. Started with no network use of its own (background networking, component
 * updates, sync and QUIC off) and a fresh profile per call.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
/** What the render command installs: the browser and fonts for every script the gallery shows. */
export const RENDER_PACKAGES = ['chromium', 'fonts-noto-core', 'fonts-noto-cjk', 'fonts-noto-color-emoji'];
const TIMEOUT_MS = 60_000;
/**
 * No sandbox (these machines run as root), no GPU, and no network of its own: without the
 * background-networking flags Chromium keeps trying Google's hosts, which a closed network refuses.
 */
export const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Chromium's path, installing the Debian packages first when it is missing and we may (root with apt-get). */
export async function ensureChromium(packages: readonly string[] = RENDER_PACKAGES, log: (line: string) => void = () => undefined): Promise<string> {
  const missing = packages.filter((p) => !installed(p));
  if (missing.length > 0 && existsSync('/usr/bin/apt-get') && process.getuid?.() === 0) {
    log(`installing ${missing.join(', ')} from the OS packages (apt-get)`);
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  }
  const found = findChromium();
  if (!found) {
    throw new Error(`Chromium is not installed: run \`sudo apt-get install -y ${packages.join(' ')}\` (Debian/Ubuntu), or set CHROMIUM_PATH`);
  }
  return found;
}

function installed(pkg: string): boolean {
  if (pkg === 'chromium') return findChromium() !== null;
  return existsSync(`/usr/share/doc/${pkg}`);
}

async function chromium(binary: string, args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'render-chromium-'));
  try {
    const { stdout } = await run(
      binary,
      ['--headless', ...QUIET_FLAGS, '--hide-scrollbars', '--force-device-scale-factor=1', `--user-data-dir=${profile}`, ...args],
      { timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Where one occurrence of a probe string was drawn, in CSS pixels. */
export interface Placed {
  probe: string;
  left: number;
  right: number;
  top: number;
  /** Left edge of the probe's first and last characters (in logical order). */
  firstCharLeft: number;
  lastCharLeft: number;
  /** The table row heading the text is in ("To"), or the reading pane's field ("pane To"), or null. */
  row: string | null;
}

export interface PageLayout {
  width: number;
  height: number;
  placed: Placed[];
}

/**
 * Runs in the page (plain browser JavaScript, so kept as text): finds each probe in the text nodes,
 * measures it with a Range, and returns the layout as base64 JSON (safe inside the dumped DOM).
 */
const MEASURE = `(probes) => {
  const placed = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const rectOf = (node, start, end) => { range.setStart(node, start); range.setEnd(node, end); return range.getBoundingClientRect(); };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent || '';
    for (const probe of probes) {
      for (let at = text.indexOf(probe); at >= 0; at = text.indexOf(probe, at + 1)) {
        const whole = rectOf(node, at, at + probe.length);
        const firstCharLeft = rectOf(node, at, at + 1).left;
        const lastCharLeft = rectOf(node, at + probe.length - 1, at + probe.length).left;
        const tr = node.parentElement && node.parentElement.closest('tr');
        const th = tr && tr.querySelector('th');
        const field = node.parentElement && node.parentElement.closest('[data-field]');
        const row = th ? th.textContent : field ? 'pane ' + field.getAttribute('data-field') : null;
        placed.push({ probe, left: whole.left, right: whole.right, top: whole.top, firstCharLeft, lastCharLeft, row });
      }
    }
  }
  const json = JSON.stringify({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight, placed });
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)));
}`;

const WIDTH = 900;

/** Writes the page to a fresh temporary folder for the time of `use`. */
async function withPageFile<T>(html: string, use: (url: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'render-page-'));
  try {
    const file = join(dir, 'page.html');
    writeFileSync(file, html);
    return await use(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lays the HTML out at the width of a reading pane and reports where each probe string landed. */
export async function layoutOf(binary: string, html: string, probes: readonly string[]): Promise<PageLayout> {
  const script = `<script>document.body.insertAdjacentHTML('beforeend', '<pre id="render-layout">' + (${MEASURE})(${JSON.stringify(probes).replace(/</g, '\\u003c')}) + '</pre>');</script>`;
  const page = html.includes('</body>') ? html.replace(/<\/body>(?![\s\S]*<\/body>)/, `${script}</body>`) : html + script;
  const dom = await withPageFile(page, (url) => chromium(binary, [`--window-size=${WIDTH},800`, '--dump-dom', url]));
  const encoded = /<pre id="render-layout">([A-Za-z0-9+/=]+)<\/pre>/.exec(dom);
  if (!encoded) throw new Error('Chromium did not run the layout script');
  return JSON.parse(Buffer.from(encoded[1], 'base64').toString('utf8')) as PageLayout;
}

/** Renders the HTML to a PNG as tall as the page (capped), at the width of a reading pane. */
export async function screenshot(binary: string, html: string, pngFile: string): Promise<void> {
  // A first run measures the page's height: headless Chromium's screenshot is the window's size.
  const { height } = await layoutOf(binary, html, []);
  await withPageFile(html, (url) => chromium(binary, [`--window-size=${WIDTH},${Math.min(Math.max(height, 200), 6000)}`, `--screenshot=${pngFile}`, url]));
  if (!existsSync(pngFile) || readFileSync(pngFile).subarray(1, 4).toString('ascii') !== 'PNG') throw new Error(`Chromium wrote no PNG to ${pngFile}`);
}
