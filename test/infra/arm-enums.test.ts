/**
 * Every enum-valued property the templates set holds a value the Azure REST API specification
 * allows for that resource type at that API version (test/fixtures/arm-enums.json names its source:
 * Azure/bicep-types-az, generated from Azure/azure-rest-api-specs, the types the Bicep compiler
 * checks against). No Bicep compiler runs here, so this is the check it would make; alert windows,
 * which ARM types as free strings but the alert services accept only from a list, are held to
 * Microsoft's documented lists too. Values set through a parameter are checked through its
 * @allowed list; through a loop over a variable, through the variable's entries.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const spec = JSON.parse(read('test/fixtures/arm-enums.json')) as {
  source: string;
  durations: Record<string, Record<string, string[]>>;
  types: Record<string, { file: string; enums: Record<string, (string | number)[]> }>;
};
const bicepFiles = [
  'infra/main.bicep',
  ...readdirSync(join(root, 'infra', 'app'))
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => `infra/app/${f}`),
];

type Token = { kind: 'str' | 'num' | 'id' | 'punct' | 'nl'; text: string; interpolated?: boolean };

/** Bicep tokens: strings (with ${} noted), numbers, identifiers (dotted, with ?. and !), punctuation, newlines; comments dropped. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      out.push({ kind: 'nl', text: '\n' });
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('/*', i)) {
      i = src.indexOf('*/', i) + 2;
      continue;
    }
    if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      out.push({ kind: 'str', text: src.slice(i + 3, end) });
      i = end + 3;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let text = '';
      let depth = 0;
      for (; j < src.length; j++) {
        if (src[j] === '\\') {
          text += src[j + 1];
          j++;
          continue;
        }
        if (src.startsWith('${', j)) depth++;
        else if (src[j] === '}' && depth > 0) depth--;
        else if (src[j] === "'" && depth === 0) break;
        text += src[j];
      }
      out.push({ kind: 'str', text, interpolated: text.includes('${') });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+/.exec(src.slice(i, i + 20));
    if (num) {
      out.push({ kind: 'num', text: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_@][\w]*(?:(?:\.|\?\.|!\.)[A-Za-z_][\w]*)*/.exec(src.slice(i, i + 200));
    if (id) {
      out.push({ kind: 'id', text: id[0] });
      i += id[0].length;
      continue;
    }
    out.push({ kind: 'punct', text: c });
    i++;
  }
  return out;
}

interface Setting {
  resource: string;
  path: string;
  value: Token;
}

/** Every `key: value` in each resource body, with its property path (arrays and anonymous objects add no segment). */
function resourceSettings(file: string): Setting[] {
  const t = tokenize(read(file));
  const settings: Setting[] = [];
  for (let i = 0; i < t.length; i++) {
    if (!(t[i].kind === 'id' && t[i].text === 'resource' && t[i + 2]?.kind === 'str')) continue;
    const resource = t[i + 2].text;
    if (t[i + 3]?.text === 'existing') continue;
    let j = i + 3;
    while (t[j].text !== '{') j++; // past "= [for x in y:" or "= if (cond)"
    const stack: (string | null)[] = [];
    let prev: Token = { kind: 'nl', text: '\n' };
    for (; j < t.length; j++) {
      const tok = t[j];
      if (tok.kind === 'nl') {
        prev = tok;
        continue;
      }
      const isKey = (tok.kind === 'id' || tok.kind === 'str') && t[j + 1]?.text === ':' && ['{', '\n', ','].includes(prev.text);
      if (isKey) {
        const key = tok.text;
        const path = [...stack.filter((s): s is string => s !== null && s !== ''), key].join('.');
        const value = t[j + 2];
        if (value.text === '{' || value.text === '[') {
          stack.push(key);
          j += 2;
          if (value.text === '[' && t[j + 1]?.text === 'for') while (t[j].text !== ':') j++;
        } else {
          settings.push({ resource, path, value });
          j += 1;
        }
        prev = t[j];
        continue;
      }
      if (tok.text === '{') stack.push('');
      else if (tok.text === '[') {
        stack.push(prev.kind === 'id' || prev.text === ')' || prev.text === ']' ? null : '');
        if (t[j + 1]?.text === 'for') while (t[j].text !== ':') j++;
      } else if (tok.text === '}' || tok.text === ']') {
        stack.pop();
        if (stack.length === 0) break;
      }
      prev = tok;
    }
  }
  return settings;
}

/** The literal values an expression can take: itself, a parameter's @allowed list, or a loop variable's field across a `var` array. */
function candidateValues(file: string, value: Token): (string | number)[] | undefined {
  if (value.kind === 'str') return value.interpolated ? undefined : [value.text];
  if (value.kind === 'num') return [Number(value.text)];
  if (value.kind !== 'id') return undefined;
  const text = read(file);
  const allowed = new RegExp(`@allowed\\(\\[([^\\]]*)\\]\\)\\s*\\n(?:@[^\\n]*\\n)*param ${value.text} `).exec(text);
  if (allowed) return [...allowed[1].matchAll(/'([^']*)'|(-?\d+)/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
  const field = /^(\w+)\.(\w+)$/.exec(value.text);
  const loop = field && new RegExp(`\\[for ${field[1]} in (\\w+):`).exec(text);
  if (field && loop) {
    const block = new RegExp(`var ${loop[1]} = \\[([\\s\\S]*?)\\n\\]`).exec(text);
    if (block) return [...block[1].matchAll(new RegExp(`\\b${field[2]}: (?:'([^']*)'|(-?\\d+))`, 'g'))].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
  }
  return undefined;
}

describe(`infra: enum-valued properties against the REST API specification (${spec.source})`, () => {
  const all = bicepFiles.flatMap((file) => resourceSettings(file).map((s) => ({ file, ...s })));

  it('every resource type and API version the templates use is in the specification extract', () => {
    const used = new Set(all.map((s) => s.resource));
    assert.ok(used.size >= 15, `resource bodies were found (${used.size})`);
    for (const r of used) assert.ok(spec.types[r], `${r}: not in test/fixtures/arm-enums.json (regenerate it from the specification for this API version)`);
  });

  it('every enum-valued property holds a value the specification lists', () => {
    let checked = 0;
    for (const s of all) {
      const allowed = spec.types[s.resource]?.enums[s.path];
      if (!allowed) continue;
      const values = candidateValues(s.file, s.value);
      assert.ok(
        values && values.length > 0,
        `${s.file}: ${s.resource} ${s.path} = ${s.value.text}: cannot tell its values (give the parameter an @allowed list)`,
      );
      for (const v of values)
        assert.ok(allowed.includes(v), `${s.file}: ${s.resource} ${s.path} = ${JSON.stringify(v)}; the specification allows ${allowed.join(', ')}`);
      checked++;
    }
    assert.ok(checked >= 20, `enough properties were checked (${checked})`);
  });

  it('alert windows and frequencies are ones the alert services accept', () => {
    let checked = 0;
    for (const s of all) {
      const allowed = spec.durations[s.resource]?.[s.path];
      if (!allowed) continue;
      const values = candidateValues(s.file, s.value);
      assert.ok(values && values.length > 0, `${s.file}: ${s.path} = ${s.value.text}`);
      for (const v of values) assert.ok(allowed.includes(String(v)), `${s.file}: ${s.resource} ${s.path} = ${v}; accepted: ${allowed.join(', ')}`);
      checked++;
    }
    assert.equal(checked, 4, 'windowSize and evaluationFrequency of the log and the metric alerts');
  });

  it('the Event Grid subscriptions the post-deploy script creates use values the specification lists', () => {
    const script = read('infra/scripts/postdeploy.sh');
    const body = /<<JSON\n([\s\S]*?)\nJSON/.exec(script)![1].replace(/\$\{[^}]+\}|\$\d/g, 'x');
    const enums = spec.types['Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15'].enums;
    let checked = 0;
    const walk = (node: unknown, path: string[]) => {
      if (node === null || typeof node !== 'object') {
        const allowed = enums[path.join('.')];
        if (allowed) {
          assert.ok(allowed.includes(node as string), `postdeploy.sh: ${path.join('.')} = ${String(node)}; allowed: ${allowed.join(', ')}`);
          checked++;
        }
        return;
      }
      if (Array.isArray(node)) node.forEach((n) => walk(n, path));
      else for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    };
    walk(JSON.parse(body), []);
    assert.ok(checked >= 4, `destination, dead-letter destination, identity and schema were checked (${checked})`);
  });
});
