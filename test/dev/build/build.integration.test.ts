import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pruneDist } from '../../../dev/build/prune-dist';

const root = join(__dirname, '..', '..', '..', '..');
const dist = join(root, 'dist');

function mtimes(dir: string, into = new Map<string, number>()): Map<string, number> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) mtimes(path, into);
    else into.set(path, statSync(path).mtimeMs);
  }
  return into;
}

describe('npm run build (every npm command runs it first)', () => {
  it('writes nothing when no source changed, keeps dist/ in place, and removes outputs whose source is gone', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const dry = spawnSync(process.execPath, [tsc, '-b', '--dry', '--verbose', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
    // The tests run from dist/: if a source changed since, building here would rewrite it under them.
    assert.match(dry.stdout, /is up to date/, `dist/ is older than the sources; run npm run build first\n${dry.stdout}`);

    const orphan = join(dist, 'dev', `orphan-${process.pid}.js`);
    writeFileSync(orphan, '// its source was deleted\n');
    writeFileSync(`${orphan}.map`, '{}\n');
    const before = mtimes(dist);
    const build = spawnSync('npm', ['run', '-s', 'build'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    });
    assert.equal(build.status, 0, build.stderr);

    assert.equal(existsSync(orphan), false, 'an output without a source is removed');
    assert.equal(existsSync(`${orphan}.map`), false);
    const after = mtimes(dist);
    const rewritten = [...after].filter(([path, t]) => before.has(path) && before.get(path) !== t).map(([path]) => path);
    assert.deepEqual(rewritten, [], 'no compiled file is written again when nothing changed');
    assert.ok(after.has(join(dist, 'functions', 'importer.js')), 'dist/ is not deleted');
  });

  it('prunes only compiled outputs without a source, and folders left empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prune-'));
    try {
      mkdirSync(join(dir, 'src', 'kept'), { recursive: true });
      mkdirSync(join(dir, 'dist', 'src', 'kept'), { recursive: true });
      mkdirSync(join(dir, 'dist', 'src', 'gone'), { recursive: true });
      writeFileSync(join(dir, 'src', 'kept', 'a.ts'), '');
      for (const f of ['kept/a.js', 'kept/a.js.map', 'kept/b.js', 'kept/b.d.ts', 'kept/notes.txt', 'gone/c.js']) writeFileSync(join(dir, 'dist', 'src', f), '');
      const removed = pruneDist(dir, join(dir, 'dist')).sort();
      assert.deepEqual(removed, [join('src', 'gone', 'c.js'), join('src', 'kept', 'b.d.ts'), join('src', 'kept', 'b.js')]);
      assert.deepEqual(readdirSync(join(dir, 'dist', 'src')), ['kept']);
      assert.deepEqual(readdirSync(join(dir, 'dist', 'src', 'kept')).sort(), ['a.js', 'a.js.map', 'notes.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
