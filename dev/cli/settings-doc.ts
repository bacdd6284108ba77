/**
 * `npm run docs:settings`: writes the setting tables of docs/configuration.md from the
 * declarations (shared/config/app-settings.ts, connector-settings.ts), so a setting's meaning and
 * default are written once. A test fails when the page is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appSettingDeclarations } from '../../shared/config/app-settings';
import { connectorSettingDeclarations } from '../../shared/config/connector-settings';
import { documentedDefault, type Setting } from '../../shared/config/setting';
import { appRoot } from '../stack/app-root';
import { parseCommandLine, runCommand } from './command-line';

export const SETTINGS_DOC = join('docs', 'configuration.md');

function table(declarations: readonly Setting<unknown>[], nameOf: (name: string) => string): string {
  const rows = declarations.map((d) => {
    const required = d.required ? 'yes' : `no${documentedDefault(d) === undefined ? '' : ` (${documentedDefault(d)})`}`;
    return `| \`${nameOf(d.name)}\` | ${required} | ${d.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| setting | required (default) | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The page with its generated blocks (between `<!-- settings:<name> -->` and `<!-- /settings:<name> -->`) written anew. */
export function renderSettingsDoc(page: string): string {
  const blocks: Record<string, string> = {
    app: table(appSettingDeclarations, (n) => n),
    connector: table(connectorSettingDeclarations, (n) => `CONNECTOR__<ID>__${n}`),
  };
  let out = page;
  for (const [name, body] of Object.entries(blocks)) {
    const begin = `<!-- settings:${name} -->`;
    const end = `<!-- /settings:${name} -->`;
    const from = out.indexOf(begin);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${SETTINGS_DOC} has no ${begin} ... ${end} block`);
    out = `${out.slice(0, from + begin.length)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

if (require.main === module) {
  runCommand(() => {
    parseCommandLine({ usage: 'npm run docs:settings', help: `Writes the setting tables of ${SETTINGS_DOC} from the setting declarations.`, options: {} });
    const path = join(appRoot, SETTINGS_DOC);
    writeFileSync(path, renderSettingsDoc(readFileSync(path, 'utf8')));
    console.log(`wrote the setting tables of ${SETTINGS_DOC}`);
    return Promise.resolve(0);
  });
}
