/**
 * Runs after `tsc -b` (npm run build): removes compiled files under dist/ whose TypeScript source
 * is gone (a deleted or renamed module, a switched branch). The incremental build never deletes,
 * and a stale dist/functions/*.js would be registered as a function and a stale test would run.
 * Only outputs without a source are touched, so a process running from dist/ keeps its files.
 */
import { existsSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What tsc writes for one source file: x.js, x.js.map, x.d.ts (declaration builds). */
const OUTPUT = /^(.*)\.(js|js\.map|d\.ts)$/;

/** Deletes outputs under `dist` with no `<name>.ts` beside their place in `root`; returns their paths, relative to dist. */
export function pruneDist(root: string, dist: string): string[] {
  const removed: string[] = [];
  const walk = (dir: string): boolean => {
    let empty = true;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (walk(path)) rmdirSync(path);
        else empty = false;
        continue;
      }
      const match = OUTPUT.exec(entry.name);
      const source = match && join(root, relative(dist, dir), `${match[1]}.ts`);
      if (source && !existsSync(source)) {
        unlinkSync(path);
        removed.push(relative(dist, path));
      } else empty = false;
    }
    return empty;
  };
  if (existsSync(dist)) walk(dist);
  return removed;
}

if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  const removed = pruneDist(root, join(root, 'dist'));
  if (removed.length > 0) console.log(`build: removed ${removed.length} compiled file(s) whose source is gone`);
}
