/**
 * local.settings.json, read the way `func start` reads it: created from the sample on first run,
 * its "Values" become environment variables, and a variable already set in the environment wins
 * (Core Tools prints "Skipping '<name>' from local settings as it's already defined in current
 * environment variables"). The same file therefore serves `npm start` and `func start`.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_SETTINGS = 'local.settings.json';
export const LOCAL_SETTINGS_SAMPLE = 'local.settings.sample.json';

export interface LocalSettingsFile {
  IsEncrypted?: boolean;
  Values: Record<string, string>;
  Host?: Record<string, unknown>;
}

export function readLocalSettings(path: string): LocalSettingsFile {
  let parsed: LocalSettingsFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as LocalSettingsFile;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new Error(`${path} is not valid JSON (${err.message}); fix it, or delete it to start again from ${LOCAL_SETTINGS_SAMPLE}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} must hold a JSON object with "Values"`);
  if (parsed.IsEncrypted) throw new Error(`${path} is encrypted; decrypt it with "func settings decrypt" first`);
  if (!parsed.Values || typeof parsed.Values !== 'object') throw new Error(`${path} has no "Values" object`);
  for (const [k, v] of Object.entries(parsed.Values)) {
    if (typeof v !== 'string') throw new Error(`${path}: Values.${k} must be a string`);
  }
  return parsed;
}

/** Ensures local.settings.json exists and applies it to env; returns the names it skipped. */
export function applyLocalSettings(appRoot: string, env: NodeJS.ProcessEnv = process.env): { created: boolean; skipped: string[] } {
  const path = join(appRoot, LOCAL_SETTINGS);
  let created = false;
  if (!existsSync(path)) {
    copyFileSync(join(appRoot, LOCAL_SETTINGS_SAMPLE), path);
    created = true;
  }
  const skipped: string[] = [];
  for (const [k, v] of Object.entries(readLocalSettings(path).Values)) {
    if (env[k] !== undefined) skipped.push(k);
    else env[k] = v;
  }
  return { created, skipped };
}
