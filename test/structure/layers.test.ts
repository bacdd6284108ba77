/**
 * The one-way rule of docs/architecture.md: every import in functions/ and shared/ points down the
 * layers, never up or sideways into another folder of the same layer, and no file is part of an
 * import cycle. Imports are read with the compiler's own pre-processor (static imports, `import()`
 * and `require()` alike), so what is checked is what the build resolves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..', '..');

/** Top to bottom. A folder may import from its own folder and from any folder of a lower layer. */
export const LAYERS: readonly (readonly string[])[] = [
  ['functions'],
  ['shared/app'],
  ['shared/admin'],
  ['shared/reconciling'],
  ['shared/scheduling', 'shared/fetching', 'shared/converting', 'shared/importing'],
  ['shared/mapping', 'shared/jobs', 'shared/runs', 'shared/items', 'shared/windows'],
  ['shared/archiver', 'shared/graph', 'shared/mime', 'shared/storage', 'shared/zip'],
  ['shared/telemetry', 'shared/http'],
  ['shared/config'],
  ['shared/catalogue', 'shared/text', 'shared/types'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Folder of a repository-relative file: `shared/<domain>` or `functions`. */
function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'shared' ? `shared/${parts[1]}` : parts[0];
}

export interface ImportEdge {
  from: string;
  to: string;
}

/** Every relative import of the given source files, as repository-relative paths without extension. */
export function importEdges(files: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = join(dirname(file), ref.fileName);
      const resolved = [`${target}.ts`, `${target}.d.ts`, join(target, 'index.ts')].find((f) => existsSync(f));
      assert.ok(resolved, `${relative(root, file)} imports ${ref.fileName}, which does not resolve`);
      edges.push({ from: rel(file), to: rel(resolved) });
    }
  }
  return edges;
}

const rel = (f: string) =>
  relative(root, f)
    .split(sep)
    .join('/')
    .replace(/(\.d)?\.ts$/, '');

export function layerOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

/** Imports that break the rule: upward, sideways into another folder of the same layer, or into a folder no layer names. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const la = layerOf(a);
    const lb = layerOf(b);
    if (la < 0 || lb < 0) out.push(`${from} -> ${to}: ${la < 0 ? a : b} is in no layer`);
    else if (lb <= la) out.push(`${from} -> ${to}: ${b} is ${lb === la ? 'beside' : 'above'} ${a}`);
  }
  return out;
}

/** Cycles among files, each as the list of files it passes through (Tarjan's strongly connected components). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const appFiles = [...sourceFiles(join(root, 'functions')), ...sourceFiles(join(root, 'shared'))];

describe('import structure', () => {
  const edges = importEdges(appFiles);

  it('every folder of functions/ and shared/ belongs to exactly one layer', () => {
    const folders = new Set(appFiles.map((f) => folderOf(rel(f))));
    for (const folder of folders) assert.equal(LAYERS.filter((l) => l.includes(folder)).length, 1, `${folder} must be in exactly one layer of LAYERS`);
  });

  it('every import points down the layers', () => {
    assert.deepEqual(layerViolations(edges), []);
  });

  it('no file takes part in an import cycle', () => {
    assert.deepEqual(importCycles(edges), []);
  });

  it('the app never imports the local stack or the tests', () => {
    const wrong = appFiles.flatMap((f) =>
      ts
        .preProcessFile(readFileSync(f, 'utf8'), true, true)
        .importedFiles.filter((r) => /^(\.\.\/)+(dev|test)\//.test(r.fileName))
        .map((r) => `${rel(f)} -> ${r.fileName}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('the importer reads converted messages only: nothing from converting/ or fetching/', () => {
    const wrong = edges.filter((e) => e.from.startsWith('shared/importing/') && /^shared\/(converting|fetching)\//.test(e.to));
    assert.deepEqual(wrong, []);
  });

  it('the checks catch what they are for', () => {
    const sample = [
      { from: 'shared/storage/a', to: 'shared/config/b' },
      { from: 'shared/config/b', to: 'shared/storage/a' },
      { from: 'shared/importing/c', to: 'shared/converting/d' },
    ];
    assert.deepEqual(layerViolations(sample), [
      'shared/config/b -> shared/storage/a: shared/storage is above shared/config',
      'shared/importing/c -> shared/converting/d: shared/converting is beside shared/importing',
    ]);
    assert.deepEqual(importCycles(sample), [['shared/config/b', 'shared/storage/a']]);
  });
});
