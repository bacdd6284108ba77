/**
 * `npm run export:eml -- <dir> [--data-dir DIR]`: copies every converted message into <dir>,
 * keeping the connector/date folders, so a person can open them in a mail client. Names that would
 * land outside <dir> and failed downloads are skipped and listed; the exit code is then 1.
 */
import { resolve } from 'node:path';
import { containers } from '../../shared/storage/names';
import { runCommand, takeDataDir, withStackStorage } from '../stack/tool-storage';
import { exportMessages } from '../stack/export-messages';

runCommand(async () => {
  const args = process.argv.slice(2);
  const dataDir = takeDataDir(args);
  const [target] = args;
  if (!target) {
    console.error('usage: npm run export:eml -- <dir> [--data-dir DIR]');
    return 2;
  }
  return withStackStorage(dataDir, async (storage) => {
    const container = storage.blob.getContainerClient(containers.mime);
    const result = (await container.exists()) ? await exportMessages(container, target) : { exported: 0, skipped: [] };
    console.log(`exported ${result.exported} message(s) to ${resolve(target)}`);
    for (const s of result.skipped) console.log(`  skipped ${JSON.stringify(s.name)}: ${s.reason}`);
    return result.skipped.length > 0 ? 1 : 0;
  });
});
