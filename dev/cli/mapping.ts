/**
 * `npm run mapping -- import <connector> <file.csv>`: validates the whole file and, only if every
 * row is good, replaces the connector's custom mapping; otherwise prints the problems by line and
 * keeps the previous mapping. `npm run mapping -- show <connector>`: the mapping in force.
 * In Azure the same happens when a CSV is dropped at mapping-uploads/incoming/<connector>/.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tables } from '../../shared/storage/names';
import { MappingStore } from '../../shared/mapping/mapping-store';
import { applyMappingUpload, formatUploadResult } from '../../shared/mapping/apply-upload';
import { runCommand, takeDataDir, withStackStorage } from '../stack/tool-storage';

const usage = 'usage: npm run mapping -- import <connector> <file.csv> | show <connector>  [--data-dir DIR]';

runCommand(async () => {
  const args = process.argv.slice(2);
  const dataDir = takeDataDir(args);
  const [command, connectorId, file] = args;
  if (!connectorId || (command === 'import' && !file) || (command !== 'import' && command !== 'show')) {
    console.error(usage);
    return 2;
  }
  return withStackStorage(dataDir, async (storage, settings) => {
    if (!settings.connectors.some((c) => c.id === connectorId)) {
      console.error(`connector "${connectorId}" is not configured (ARCHIVE_CONNECTORS: ${settings.connectors.map((c) => c.id).join(', ')})`);
      return 2;
    }
    await storage.tableService.createTable(tables.mapping);
    const mapping = new MappingStore(storage.table(tables.mapping));
    if (command === 'show') {
      const info = await mapping.info(connectorId);
      console.log(
        info
          ? `${connectorId}: ${info.rows} row(s), version ${info.version}, uploaded ${info.uploadedAt} from ${info.source}`
          : `${connectorId}: no custom mapping`,
      );
      return 0;
    }
    const path = resolve(file);
    const result = await applyMappingUpload(connectorId, readFileSync(path), path, { mapping, defaultRegion: settings.mapping.defaultRegion });
    console.log(formatUploadResult(connectorId, result));
    if (result.accepted && !settings.connectors.find((c) => c.id === connectorId)!.customMapping) {
      console.log(`note: CONNECTOR__${connectorId.toUpperCase()}__CUSTOM_MAPPING is off, so this mapping is not used until it is set to true`);
    }
    return result.accepted ? 0 : 1;
  });
});
