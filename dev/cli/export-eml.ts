/**
 * `npm run export:eml -- <dir>`: copies every converted message into <dir>, keeping the
 * connector/date folders, so a person can open them in a mail client. Names that would land outside
 * <dir> and failed downloads are skipped and listed; the exit code is then 1.
 */
import { resolve } from 'node:path';
import { containers } from '../../shared/storage/names';
import { STORAGE_TARGET_HELP, storageTarget, storageTargetOptions, withTargetStorage } from '../stack/tool-storage';
import { exportMessages } from '../stack/export-messages';
import { parseCommandLine, runCommand } from './command-line';

const spec = {
  usage: 'npm run export:eml -- <dir> [--target local|azure] [--account NAME]',
  help: `Copies every converted message (.eml) into <dir>, in <connector>/<date>/ folders, to open in a mail
client. Exit 1 when some could not be copied (each is listed).
${STORAGE_TARGET_HELP}`,
  options: storageTargetOptions,
  positionals: { min: 1, max: 1 },
} as const;

runCommand(async () => {
  const { values, positionals } = parseCommandLine(spec);
  const [target] = positionals;
  return withTargetStorage(storageTarget(values), async ({ storage }) => {
    const container = storage.blob.getContainerClient(containers.mime);
    const result = (await container.exists()) ? await exportMessages(container, target) : { exported: 0, skipped: [] };
    console.log(`exported ${result.exported} message(s) to ${resolve(target)}`);
    for (const s of result.skipped) console.log(`  skipped ${JSON.stringify(s.name)}: ${s.reason}`);
    return result.skipped.length > 0 ? 1 : 0;
  });
});
