/**
 * `npm run mapping -- import <connector> <file.csv>`: validates the whole file and, only if every
 * row is good, replaces the connector's custom mapping; otherwise prints the problems by line and
 * keeps the previous mapping. `show <connector>`: the mapping in force; `export <connector>`: its rows as CSV.
 * With --target azure the file is dropped where the deployed app takes mapping uploads
 * (mapping-uploads/incoming/<connector>/) and the app's report is awaited: the app checks it
 * against its own settings, which only it has.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mappingCsv } from '../../shared/admin/admin-log-csv';
import { basename, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containers, mappingReportPrefix, mappingUploadPrefix, tables } from '../../shared/storage/names';
import { MappingStore } from '../../shared/mapping/mapping-store';
import { applyMappingUpload, formatUploadResult, type MappingUploadResult } from '../../shared/mapping/apply-upload';
import { STORAGE_TARGET_HELP, storageTarget, storageTargetOptions, withTargetStorage, type ToolStorage } from '../stack/tool-storage';
import { parseCommandLine, runCommand, UsageError, wholeNumber } from './command-line';
import { hasStatus } from '../../shared/http/http-error';

const spec = {
  usage:
    'npm run mapping -- import <connector> <file.csv> | show <connector> | export <connector> [file.csv]  [--json] [--target local|azure] [--account NAME]',
  help: `import <connector> <file.csv>  checks every row; only a file without problems replaces the
                                connector's custom mapping (exit 1 with the problems by line otherwise)
show <connector>                the mapping in force: rows, version, when and from what it was uploaded
export <connector> [file.csv]   the mapping in force as a CSV that import takes again (stdout without a file)
  --json                        show: the answer as JSON
  --wait-seconds N              with --target azure: how long to wait for the app's report (default 300)
${STORAGE_TARGET_HELP}`,
  options: { 'wait-seconds': { type: 'string' }, json: { type: 'boolean' }, ...storageTargetOptions },
  positionals: { min: 2, max: 3 },
} as const;

runCommand(async () => {
  const { values, positionals } = parseCommandLine(spec);
  const [command, connectorId, file] = positionals;
  if (command !== 'import' && command !== 'show' && command !== 'export')
    throw new UsageError(`unknown mapping command ${JSON.stringify(command)}\nusage: ${spec.usage}`);
  if (command === 'import' && !file) throw new UsageError(`import needs the CSV file\nusage: ${spec.usage}`);
  if (command === 'show' && file) throw new UsageError(`show takes only the connector\nusage: ${spec.usage}`);
  const waitSeconds = wholeNumber(values['wait-seconds'], '--wait-seconds', 300, { min: 1, max: 3600 });
  const body = command === 'import' && file ? readFileSync(resolve(file)) : undefined;
  return withTargetStorage(
    storageTarget(values),
    async (tool) => {
      const { storage, settings } = tool;
      const mapping = new MappingStore(storage.table(tables.mapping));
      if (command === 'export') {
        const rows = [];
        for await (const r of mapping.rows(connectorId)) rows.push(r);
        const csv = mappingCsv(rows);
        if (file) writeFileSync(resolve(file), csv);
        else process.stdout.write(csv);
        console.error(`${connectorId}: ${rows.length} row(s)${file ? ` written to ${resolve(file)}` : ''}`);
        return 0;
      }
      if (command === 'show') {
        const info = await mapping.info(connectorId);
        if (values.json) {
          console.log(JSON.stringify({ connectorId, info: info ?? null }, null, 2));
          return 0;
        }
        console.log(
          info
            ? `${connectorId}: ${info.rows} row(s), version ${info.version}, uploaded ${info.uploadedAt} from ${info.source}`
            : `${connectorId}: no custom mapping`,
        );
        return 0;
      }
      const result = settings
        ? await (async () => {
            await storage.tableService.createTable(tables.mapping);
            return applyMappingUpload(connectorId, body!, resolve(file), { mapping, defaultRegion: settings.mapping.defaultRegion });
          })()
        : await uploadToApp(tool, connectorId, basename(file), body!, waitSeconds);
      console.log(formatUploadResult(connectorId, result));
      if (result.accepted && settings && !settings.connectors.find((c) => c.id === connectorId)!.customMapping) {
        console.log(`note: CONNECTOR__${connectorId.toUpperCase()}__CUSTOM_MAPPING is off, so this mapping is not used until it is set to true`);
      }
      return result.accepted ? 0 : 1;
    },
    { connectorId },
  );
});

/** Drops the file where the deployed app's mappingUpload function takes it, and waits for the report it writes. */
async function uploadToApp(tool: ToolStorage, connectorId: string, name: string, body: Buffer, waitSeconds: number): Promise<MappingUploadResult> {
  const container = tool.storage.blob.getContainerClient(containers.mappingUploads);
  const stamped = `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`;
  const report = container.getBlockBlobClient(`${mappingReportPrefix}/${connectorId}/${stamped}.json`);
  await container.getBlockBlobClient(`${mappingUploadPrefix}/${connectorId}/${stamped}`).uploadData(body);
  console.error(
    `uploaded to ${containers.mappingUploads}/${mappingUploadPrefix}/${connectorId}/${stamped}; waiting up to ${waitSeconds} s for the app's report`,
  );
  const deadline = Date.now() + waitSeconds * 1000;
  while (Date.now() < deadline) {
    try {
      return JSON.parse((await report.downloadToBuffer()).toString('utf8')) as MappingUploadResult;
    } catch (err) {
      if (!hasStatus(err, 404)) throw err;
    }
    await sleep(5_000);
  }
  throw new Error(`no report from the app after ${waitSeconds} s at ${containers.mappingUploads}/${report.name}: is the function app running?`);
}
