import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLocalSettings } from '../../dev/stack/local-settings';

describe('local.settings.json', () => {
  it('a file that is not valid JSON is named, with how to recover', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mac-local-settings-'));
    try {
      writeFileSync(join(dir, 'local.settings.json'), '{ "Values": { "ARCHIVE_SCHEDULE": "0 0 2 * * *", } }');
      assert.throws(
        () => applyLocalSettings(dir, {}),
        (err: Error) =>
          err.message.startsWith(join(dir, 'local.settings.json')) && /not valid JSON/.test(err.message) && /local\.settings\.sample\.json/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('its values fill the environment, and a variable already set wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mac-local-settings-'));
    try {
      writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ Values: { FETCH_PAGE_SIZE: '50', GRAPH_ENDPOINT: 'http://127.0.0.1:1' } }));
      const env: NodeJS.ProcessEnv = { FETCH_PAGE_SIZE: '10' };
      assert.deepEqual(applyLocalSettings(dir, env), { created: false, skipped: ['FETCH_PAGE_SIZE'] });
      assert.deepEqual(env, { FETCH_PAGE_SIZE: '10', GRAPH_ENDPOINT: 'http://127.0.0.1:1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
