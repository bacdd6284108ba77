import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appSettingDeclarations } from '../../../shared/config/app-settings';
import { connectorSettingDeclarations } from '../../../shared/config/connector-settings';
import { knownSettingNames, loadSettings, requiredSettingNames } from '../../../shared/app/settings';
import { SettingsError } from '../../../shared/config/problems';
import { validEnv } from '../../helpers/env';
import { simulatorEnv } from '../../../dev/stack/archiver-sim/options';

const appRoot = join(__dirname, '..', '..', '..', '..');
const sample = JSON.parse(readFileSync(join(appRoot, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
const base = validEnv('UseDevelopmentStorage=true');

function problemsOf(env: Record<string, string | undefined>): { setting: string; problem: string }[] {
  try {
    loadSettings(env);
  } catch (err) {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${err}`);
    return [...err.problems];
  }
  assert.fail('settings were accepted');
}

describe('app settings', () => {
  it('accepts a valid environment and applies the product defaults', () => {
    const s = loadSettings(base);
    assert.deepEqual(
      s.connectors.map((c) => [c.id, c.product, c.folderName]),
      [
        ['enterprise', 'enterprise-number', 'Enterprise Number Archiver'],
        ['o2', 'o2-network', 'O2 SMS and Voice Network Archiver'],
        ['whatsapp', 'whatsapp', 'WhatsApp Archiver'],
      ],
    );
    const c = s.connectors[0];
    assert.equal(c.enabled, true);
    assert.equal(c.autoMapping, true);
    assert.equal(c.customMapping, false);
    assert.equal(c.safetyLagMinutes, 60);
    assert.equal(s.graph.endpoint, 'https://graph.microsoft.com');
    assert.equal(s.schedule, '0 0 2 * * *');
  });

  const invalid: [string, string | undefined, RegExp][] = [
    ['ARCHIVE_SCHEDULE', '0 2 * * *', /6-field NCRONTAB/],
    ['ARCHIVE_SCHEDULE', '0 0 25 * * *', /not a valid NCRONTAB/],
    ['ARCHIVE_SCHEDULE', undefined, /is required/],
    ['ARCHIVE_CONNECTORS', undefined, /is required/],
    ['ARCHIVE_CONNECTORS', 'Enterprise', /lowercase letters and digits/],
    ['ARCHIVE_CONNECTORS', 'enterprise,enterprise', /listed twice/],
    ['FETCH_SAFETY_LAG_MINUTES', 'soon', /whole number/],
    ['FETCH_INITIAL_LOOKBACK_HOURS', '0', /between 1 and/],
    ['FETCH_LEASE_MINUTES', '-5', /whole number/],
    ['FETCH_PAGE_SIZE', '5000', /between 1 and 1000/],
    ['FETCH_PART_SECONDS', '0', /between 1 and 1800/],
    ['FETCH_MAX_PAGES_PER_WINDOW', '0', /between 1 and 1000000/],
    ['FETCH_MAX_LINE_KB', '0', /between 1 and 65536/],
    ['FETCH_MAX_ATTACHMENT_MB', '2000', /between 1 and 1024/],
    ['FETCH_MAX_ITEM_MB', 'lots', /whole number|between/],
    ['HTTP_CONNECT_TIMEOUT_SECONDS', '0', /between 1 and 300/],
    ['HTTP_FIRST_BYTE_TIMEOUT_SECONDS', '601', /between 1 and 600/],
    ['HTTP_IDLE_TIMEOUT_SECONDS', '0', /between 1 and 600/],
    ['RETRY_HORIZON_MINUTES', '0', /between 1 and 10080/],
    ['IMPORT_CLAIM_LEASE_SECONDS', '0', /between 1 and 86400/],
    ['ADMIN_LOG_RETENTION_DAYS', '0', /between 1 and 3650/],
    ['BLOB_TRIGGER_SOURCE', 'Polling', /EventGrid or LogsAndContainerScan/],
    ['MAPPING_DEFAULT_REGION', 'XX', /ISO 3166/],
    ['MAILBOX_CACHE_TTL_MINUTES', 'forever', /whole number/],
    ['GRAPH_IMPORT_MODE', 'eml', /json or importMime/],
    ['GRAPH_ITEM_CLASS', 'IPM.Note.Mobile Archive', /IPM\.Note followed by/],
    ['RECONCILE_MIN_AGE_MINUTES', '0', /between 1 and/],
    ['RECONCILE_LOOKBACK_HOURS', 'a week', /whole number/],
    ['RECONCILE_MAX_ITEMS', '1000000', /between 1 and 100000/],
    ['RECONCILE_MAX_ATTEMPTS', '-1', /whole number/],
    ['GRAPH_MAX_RETRY_AFTER_SECONDS', '0', /between 1 and 3600/],
    ['GRAPH_MAILBOX_CONCURRENCY', '0', /between 1 and 16/],
    ['GRAPH_MAILBOX_REQUESTS', 'lots', /whole number/],
    ['GRAPH_MAILBOX_REQUEST_WINDOW_SECONDS', '0', /between 1 and 86400/],
    ['GRAPH_MAILBOX_UPLOAD_MB', '-5', /whole number/],
    ['GRAPH_MAILBOX_UPLOAD_WINDOW_SECONDS', '90000', /between 1 and 86400/],
    ['GRAPH_NATIONAL_CLOUD', 'mars', /must be one of global, usgov, usgovdod, china/],
    ['GRAPH_TENANT_ID', 'contoso', /GUID/],
    ['GRAPH_CLIENT_ID', '1234', /GUID/],
    ['GRAPH_ENDPOINT', 'graph.microsoft.com', /absolute http\(s\) URL/],
    ['GRAPH_ENDPOINT', 'http://graph.example.com', /must use https/],
    ['AzureWebJobsStorage', 'not-a-connection-string', /not a storage connection string/],
    ['CONNECTOR__O2__PRODUCT', 'o3-network', /must be one of enterprise-number, o2-network, whatsapp, android, /],
    ['CONNECTOR__O2__PRODUCT', undefined, /is required/],
    ['CONNECTOR__O2__ARCHIVER_URL', 'ftp://archiver', /absolute http\(s\) URL/],
    ['CONNECTOR__O2__ARCHIVER_URL', 'http://archiver.example.com', /must use https/],
    ['CONNECTOR__O2__USERNAME', '  ', /is required/],
    ['CONNECTOR__O2__ENABLED', 'yes', /true or false/],
    ['CONNECTOR__O2__FOLDER_NAME', 'Archive/O2', /must not contain/],
    ['CONNECTOR__O2__AUTO_MAPPING', 'maybe', /true or false/],
    ['CONNECTOR__O2__CUSTOM_MAPPING', '2', /true or false/],
    ['CONNECTOR__O2__SAFETY_LAG_MINUTES', '1.5', /whole number/],
    ['CONNECTOR__O2__START_FROM', 'yesterday', /ISO 8601/],
    ['CONNECTOR__O2__SOURCE', 'ftp', /must be one of http-api, sftp-zip, smtp-mailbox/],
    ['CONNECTOR__O2__JOURNAL_MAILBOX', 'journal', /email address/],
    ['CONNECTOR__O2__JOURNAL_FOLDER', 'Inbox/Vendor', /must not contain/],
    ['CONNECTOR__O2__PROCESSED_FOLDER', 'Done\\Vendor', /must not contain/],
    ['CONNECTOR__O2__ATTENTION_FOLDER', 'x'.repeat(256), /at most 255/],
    ['CONNECTOR__O2__EML_RULES', '{nope', /JSON object/],
    ['CONNECTOR__O2__EML_RULES', '{"numberIn":["body"]}', /name|localPart/],
    ['ZIP_MAX_MB', '0', /between 1 and/],
    ['ZIP_MAX_ENTRIES', 'many', /whole number/],
    ['ZIP_MAX_ENTRY_MB', '2000', /between 1 and 1024/],
    ['ZIP_MAX_TOTAL_MB', '-1', /whole number/],
    ['ZIP_MAX_RATIO', '0', /between 1 and/],
    ['ZIP_SETTLE_MINUTES', 'soon', /whole number/],
    ['JOURNAL_MAX_MESSAGE_MB', '0', /between 1 and 1024/],
  ];
  for (const [setting, value, expected] of invalid) {
    it(`names ${setting} when it is ${value === undefined ? 'missing' : `"${value}"`}`, () => {
      const problems = problemsOf({ ...base, [setting]: value });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].setting, setting);
      assert.match(problems[0].problem, expected);
    });
  }

  it('covers every declared setting with an invalid-value test', () => {
    // PASSWORD has tests of its own below: a bad one takes only its connector out of service.
    const tested = new Set([...invalid.map(([s]) => s.replace(/^CONNECTOR__O2__/, '')), 'PASSWORD']);
    for (const d of [...appSettingDeclarations, ...connectorSettingDeclarations]) {
      assert.ok(tested.has(d.name), `no invalid-value test for ${d.name}`);
    }
  });

  it('an unresolved Key Vault reference stops only its connector, explained, never echoed', () => {
    const settings = loadSettings({ ...base, CONNECTOR__O2__PASSWORD: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/o2)' });
    const o2 = settings.connectors.find((c) => c.id === 'o2')!;
    assert.match(o2.unavailable ?? '', /^CONNECTOR__O2__PASSWORD is an unresolved Key Vault reference/);
    assert.doesNotMatch(o2.unavailable ?? '', /kv\.vault/);
    assert.equal(o2.password, undefined);
    for (const other of settings.connectors.filter((c) => c.id !== 'o2')) assert.equal(other.unavailable, undefined, other.id);
  });

  it('a missing password stops only its connector too', () => {
    const settings = loadSettings({ ...base, CONNECTOR__O2__PASSWORD: undefined });
    assert.match(settings.connectors.find((c) => c.id === 'o2')!.unavailable ?? '', /^CONNECTOR__O2__PASSWORD is required/);
    assert.equal(settings.connectors.filter((c) => !c.unavailable).length, 2);
  });

  it('reports every bad setting at once, in one message naming each', () => {
    try {
      loadSettings({ ...base, ARCHIVE_SCHEDULE: 'daily', CONNECTOR__WHATSAPP__ARCHIVER_URL: 'nope' });
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof SettingsError);
      assert.match(err.message, /ARCHIVE_SCHEDULE/);
      assert.match(err.message, /CONNECTOR__WHATSAPP__ARCHIVER_URL/);
    }
  });

  it('a misspelt setting under one of our prefixes is an error, not silently ignored', () => {
    const problems = problemsOf({ ...base, CONNECTOR__O2__CUSTOM_MAPING: 'true', FETCH_PAGESIZE: '50', CONNECTOR_O2__PRODUCT: 'o2-network' });
    assert.deepEqual(problems.map((p) => p.setting).sort(), ['CONNECTOR_O2__PRODUCT', 'CONNECTOR__O2__CUSTOM_MAPING', 'FETCH_PAGESIZE']);
    assert.match(problems.find((p) => p.setting === 'CONNECTOR__O2__CUSTOM_MAPING')!.problem, /not a connector setting .*CUSTOM_MAPPING/);
    // Names that only look like ours, and a connector taken out of ARCHIVE_CONNECTORS that keeps its settings.
    assert.doesNotThrow(() =>
      loadSettings({ ...base, HTTP_PROXY: 'http://proxy.contoso.example:8080', GRAPH_SIM_FAULTS: 'rate429=0.1', CONNECTOR__OLD__PRODUCT: 'o2-network' }),
    );
  });

  it('a URL carrying a user name and password is refused and never quoted back', () => {
    const problems = problemsOf({ ...base, CONNECTOR__O2__ARCHIVER_URL: 'https://svc-archiver:S3cr3t-Pa55@archiver.contoso.example/api' });
    assert.equal(problems.length, 1);
    assert.equal(problems[0].setting, 'CONNECTOR__O2__ARCHIVER_URL');
    assert.match(problems[0].problem, /must not carry a user name or password/);
    assert.doesNotMatch(problems[0].problem, /S3cr3t|svc-archiver/);
    // A value quoted back for another reason is masked too.
    const other = problemsOf({ ...base, GRAPH_ENDPOINT: 'ftp://svc:S3cr3t-Pa55@graph.contoso.example' });
    assert.doesNotMatch(other[0].problem, /S3cr3t/);
    assert.match(other[0].problem, /ftp:\/\/\*\*\*@graph/);
  });

  it('accepts identity-based storage and names each missing service URI', () => {
    const identity = { ...base, AzureWebJobsStorage: undefined, AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net' };
    const problems = problemsOf(identity);
    assert.deepEqual(problems.map((p) => p.setting).sort(), ['AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri']);
    const s = loadSettings({
      ...identity,
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
    });
    assert.equal(s.storage.kind, 'identity');
  });

  it('local.settings.sample.json holds every required setting and validates', () => {
    const values = sample.Values;
    for (const name of requiredSettingNames(values)) assert.ok(values[name] !== undefined && values[name] !== '', `sample lacks ${name}`);
    assert.doesNotThrow(() => loadSettings(values));
  });

  it('local.settings.sample.json sets only settings the app, the simulators or the Functions host know', () => {
    const known = new Set([...knownSettingNames(sample.Values), ...Object.keys(simulatorEnv), 'GRAPH_SIM_FAULTS', 'FUNCTIONS_WORKER_RUNTIME']);
    for (const name of Object.keys(sample.Values)) assert.ok(known.has(name), `sample sets unknown setting ${name}`);
  });
});
