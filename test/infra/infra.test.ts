/**
 * Guards for infra/, since no Bicep compiler can be installed on our machines: the templates are
 * read as text and held to the app's own definitions (settings schema, storage layout).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appSettingDeclarations } from '../../shared/config/app-settings';
import { connectorSettingDeclarations } from '../../shared/config/connector-settings';
import { knownSettingNames, requiredSettingNames } from '../../shared/app/settings';
import { infraLayout } from '../../shared/storage/provisioned';
import { METRIC_NAMES } from '../../shared/telemetry/metrics';

const root = join(__dirname, '..', '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const functionApp = read('infra/app/function-app.bicep');
const allBicep = [
  'infra/main.bicep',
  ...readdirSync(join(root, 'infra', 'app'))
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => `infra/app/${f}`),
].map((f) => [f, read(f)] as const);

/** Keys of the app settings the Bicep sets: plain keys, and per-connector templates as CONNECTOR__X__NAME. */
function bicepSettingNames(): Set<string> {
  const names = new Set<string>();
  const block = functionApp.slice(functionApp.indexOf('var connectorSettings'), functionApp.indexOf("resource settings 'Microsoft.Web/sites/config"));
  for (const m of block.matchAll(/^\s+([A-Za-z][A-Za-z0-9_]*):\s/gm)) names.add(m[1]);
  for (const m of block.matchAll(/'CONNECTOR__\$\{toUpper\(c\.id\)\}__([A-Z_]+)'/g)) names.add(`CONNECTOR__X__${m[1]}`);
  return names;
}

// Settings Flex Consumption deprecates or refuses (the runtime is in functionAppConfig).
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
const FORBIDDEN_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_MOUNT_ENABLED',
  'WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_TIME_ZONE',
  'TZ',
  'WEBSITES_CONTAINER_START_TIME_LIMIT',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
];

describe('infra (Bicep) against the app', () => {
  it('sets every setting the schema requires', () => {
    // As the app sees Azure: identity-based storage and one connector.
    const env = { AzureWebJobsStorage__blobServiceUri: 'x', ARCHIVE_CONNECTORS: 'x' };
    const inBicep = bicepSettingNames();
    for (const name of requiredSettingNames(env)) assert.ok(inBicep.has(name), `infra/app/function-app.bicep does not set ${name}`);
    assert.ok(inBicep.size > 10, 'the settings block was found');
  });

  it('sets only settings the app, Application Insights or the identity-based connection know', () => {
    const known = new Set([
      ...knownSettingNames({ ARCHIVE_CONNECTORS: 'x' }),
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]);
    for (const name of bicepSettingNames()) assert.ok(known.has(name), `the Bicep sets ${name}, which nothing reads`);
  });

  it("covers the schema's per-connector settings that a deployment may set", () => {
    const inBicep = bicepSettingNames();
    for (const d of connectorSettingDeclarations) assert.ok(inBicep.has(`CONNECTOR__X__${d.name}`), `no way to set CONNECTOR__<ID>__${d.name} from the Bicep`);
    for (const d of appSettingDeclarations.filter((x) => x.required)) assert.ok(inBicep.has(d.name), d.name);
  });

  it('provisions exactly the storage layout of shared/storage/names.ts', () => {
    assert.deepEqual(JSON.parse(read('infra/storage-layout.json')), infraLayout(), 'infra/storage-layout.json is stale: npm run infra:layout');
    const main = read('infra/main.bicep');
    assert.match(main, /loadJsonContent\('storage-layout\.json'\)/);
    for (const key of ['containers', 'queues', 'tables']) assert.match(main, new RegExp(`${key}: layout\\.${key}`));
    const storage = read('infra/app/storage.bicep');
    assert.match(storage, /for c in union\(containers, \[deploymentContainer\]\)/);
    assert.match(storage, /for q in queues/);
    assert.match(storage, /for t in tables/);
  });

  it('storage: shared key off, no public access, TLS 1.2; WORM policy on the compliance containers when asked', () => {
    const storage = read('infra/app/storage.bicep');
    assert.match(storage, /allowSharedKeyAccess: false/);
    assert.match(storage, /allowBlobPublicAccess: false/);
    assert.match(storage, /minimumTlsVersion: 'TLS1_2'/);
    assert.match(storage, /immutabilityPeriodSinceCreationInDays: immutabilityRetentionDays/);
    assert.match(read('infra/main.bicep'), /immutableContainers: enableImmutability \? layout\.immutableContainers : \[\]/);
  });

  it('sets no setting Flex Consumption forbids', () => {
    for (const [file, text] of allBicep) {
      for (const name of FORBIDDEN_ON_FLEX) assert.ok(!new RegExp(`\\b${name}\\b`).test(text), `${file} sets ${name}`);
    }
    assert.match(functionApp, /runtime: \{ name: 'node', version: '22' \}/);
    assert.match(functionApp, /tier: 'FlexConsumption', name: 'FC1'/);
  });

  it('in Azure the blob triggers use the Event Grid source', () => {
    assert.match(functionApp, /BLOB_TRIGGER_SOURCE: 'EventGrid'/);
    for (const fn of ['converter', 'mapping-upload']) assert.match(read(`functions/${fn}.ts`), /source: blobTriggerSource\(process\.env\)/);
    const script = read('infra/scripts/postdeploy.sh');
    assert.match(script, /functionName=Host\.Functions\.\$2/);
    assert.match(script, /subscribe converter-raw-items converter raw-items\//);
    assert.match(script, /subscribe mapping-uploads mappingUpload mapping-uploads\/blobs\/incoming\//);
  });

  it('passwords are Key Vault references read with the app identity, never values', () => {
    assert.match(functionApp, /__PASSWORD': '@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets\/archiver-\$\{c\.id\}-password\)'/);
    assert.match(functionApp, /keyVaultReferenceIdentity: identityId/);
    assert.match(read('infra/app/keyvault.bicep'), /enableRbacAuthorization: true/);
    assert.match(read('infra/main.bicep'), /@secure\(\)\n@description[^\n]*\nparam archiverPasswords object/);
  });

  it('the deploy paths reference the same template', () => {
    assert.match(read('azure.yaml'), /path: infra\n\s+module: main/);
    assert.match(read('azure.yaml'), /postdeploy:[\s\S]*infra\/scripts\/postdeploy\.sh/);
    assert.match(read('docs/deploy.md'), /az deployment group create/);
    assert.match(read('docs/deploy.md'), /func azure functionapp publish/);
    assert.match(read('docs/deploy.md'), /azd up/);
    assert.match(read('README.md'), /docs\/deploy\.md/);
  });

  it('alerts read only signals sampling never drops, and name metrics the app emits', () => {
    const alerts = read('infra/app/alerts.bicep');
    assert.doesNotMatch(alerts, /\btraces\b\s*\|/, 'no alert queries traces (adaptive sampling drops them)');
    const queried = [...alerts.matchAll(/name == "([^"]+)"/g)].map((m) => m[1]);
    assert.ok(queried.length >= 5);
    for (const name of queried) assert.ok((Object.values(METRIC_NAMES) as string[]).includes(name), `alerts.bicep queries ${name}, which the app never emits`);
    for (const m of ['DeadLetteredCount', 'DroppedEventCount']) assert.match(alerts, new RegExp(`'${m}'`), `Event Grid ${m} is alerted on`);
  });

  it('Event Grid dead-letters undeliverable blob events into a container its own identity may write, and the post-deploy script waits and explains', () => {
    const events = read('infra/app/events.bicep');
    assert.match(events, /identity: \{ type: 'SystemAssigned' \}/);
    assert.match(events, /scope: deadLetters/);
    assert.match(read('infra/main.bicep'), /deadLetterContainer: layout\.eventGridDeadLetterContainer/);
    const script = read('infra/scripts/postdeploy.sh');
    assert.match(script, /"deadLetterWithResourceIdentity"/);
    assert.match(script, /POSTDEPLOY_WAIT_MINUTES:-20/);
    assert.match(script, /Role propagation/);
    assert.match(script, /run this script again/);
  });

  it('the storage SKU is a parameter whose default every region offers', () => {
    const main = read('infra/main.bicep');
    assert.match(main, /param storageSku string = 'Standard_LRS'/);
    assert.doesNotMatch(read('infra/app/storage.bicep'), /sku: \{ name: 'Standard_ZRS' \}/);
  });

  it('azd builds here and ships production dependencies only; the publish script does the same', () => {
    const azd = read('azure.yaml');
    assert.match(azd, /remoteBuild: false/);
    assert.match(azd, /requiredVersions:\n\s+#[^\n]*\n\s+azd: (['"])>= \d+\.\d+\.\d+\1/);
    assert.match(azd, /prepackage:\n\s+shell: sh\n\s+run: npm prune --omit=dev/);
    const funcignore = read('.funcignore').split('\n');
    for (const entry of ['*.ts', 'test', 'dev', 'dist/test', 'dist/dev', '.tools']) assert.ok(funcignore.includes(entry), `.funcignore leaves out ${entry}`);
    assert.ok(!funcignore.includes('node_modules'), 'a local build ships node_modules');
    const publish = read('infra/scripts/publish.sh');
    assert.ok(publish.indexOf('npm prune --omit=dev') > 0 && publish.indexOf('npm prune --omit=dev') < publish.indexOf('func azure functionapp publish'));
  });

  it('the az deployment path has parameters of its own, with no azd placeholders', () => {
    const azcli = read('infra/main.azcli.parameters.json');
    assert.doesNotMatch(azcli, /\$\{/);
    const main = read('infra/main.bicep');
    for (const name of Object.keys((JSON.parse(azcli) as { parameters: object }).parameters)) assert.match(main, new RegExp(`^param ${name} `, 'm'), name);
    assert.match(read('docs/deploy.md'), /-p @?infra\/main\.azcli\.parameters\.json/);
  });

  it('the WORM lock is a separate, confirmed step on the containers the layout makes immutable', () => {
    const lock = read('infra/scripts/lock-worm.sh');
    assert.match(lock, /immutableContainers/);
    assert.match(lock, /--confirm/);
    assert.match(lock, /az storage container immutability-policy lock/);
    const deploy = read('docs/deploy.md');
    assert.match(deploy, /lock-worm\.sh/);
    assert.match(deploy, /17a-4\(f\)/);
    assert.match(deploy, /FINRA/);
  });

  it('host and worker telemetry form one OpenTelemetry trace', () => {
    assert.equal((JSON.parse(read('host.json')) as { telemetryMode?: string }).telemetryMode, 'OpenTelemetry');
    assert.match(read('shared/telemetry/setup.ts'), /new AzureFunctionsInstrumentation\(\)/);
  });
});

describe('permission scripts', () => {
  /**
   * The application roles Exchange Online publishes for RBAC for Applications
   * (https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac#supported-application-roles).
   * There is none for Mail-Advanced.ReadWrite.All.
   */
  const PUBLISHED = new Set([
    'Application Mail.Read',
    'Application Mail.ReadBasic',
    'Application Mail.ReadWrite',
    'Application Mail.Send',
    'Application MailboxSettings.Read',
    'Application MailboxSettings.ReadWrite',
    'Application Calendars.Read',
    'Application Calendars.ReadWrite',
    'Application Contacts.Read',
    'Application Contacts.ReadWrite',
    'Application Mail Full Access',
    'Application Exchange Full Access',
    'Application EWS.AccessAsApp',
  ]);

  it('limit-to-group.ps1 assigns only application roles Exchange publishes', () => {
    const script = read('infra/scripts/limit-to-group.ps1');
    const assigned = [...script.matchAll(/'(Application [^']+)'/g)].map((m) => m[1]);
    assert.ok(assigned.length > 0);
    for (const role of assigned) assert.ok(PUBLISHED.has(role), `${role} is not an Exchange application role`);
  });

  it('grant-graph-roles.sh can grant Mail-Advanced.ReadWrite.All, which the non-draft attachment and importMime strategies need', () => {
    const script = read('infra/scripts/grant-graph-roles.sh');
    assert.match(script, /--advanced\|--import-mime\) roles\+=\(Mail-Advanced\.ReadWrite\.All\)/);
    assert.match(read('docs/deploy.md'), /grant-graph-roles\.sh --principal[^\n]*\n[^\n]*--advanced/);
  });
});
