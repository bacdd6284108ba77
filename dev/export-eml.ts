/**
 * `npm run export:eml -- <dir> [--data-dir DIR]`: copies every converted message of the local
 * stack into <dir>, keeping the connector/date folders, so a person can open them in a mail client.
 * Uses the running local stack's Azurite, or starts one on its data for the time of the export.
 */
import { mkdirSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadSettings } from '../shared/config/settings';
import { createStorageClients } from '../shared/storage/clients';
import { containers } from '../shared/storage/layout';
import { applyLocalSettings } from './local-settings';
import { portIsFree } from './ports';
import { portsOfConnectionString, startAzurite, type RunningAzurite } from './azurite';

const appRoot = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const dataDirAt = args.indexOf('--data-dir');
  const dataDir = dataDirAt >= 0 ? resolve(args.splice(dataDirAt, 2)[1] ?? '') : join(appRoot, '.local');
  const [target] = args;
  if (!target) {
    console.error('usage: npm run export:eml -- <dir> [--data-dir DIR]');
    return 2;
  }
  applyLocalSettings(appRoot);
  const settings = loadSettings(process.env);
  if (settings.storage.kind !== 'connectionString') throw new Error('export:eml reads the local stack (AzureWebJobsStorage must be an Azurite connection string)');
  const ports = portsOfConnectionString(settings.storage.connectionString);
  let azurite: RunningAzurite | undefined;
  if (await portIsFree(ports.blob)) azurite = await startAzurite({ ports, location: join(dataDir, 'azurite') });
  try {
    const container = createStorageClients(settings.storage).blob.getContainerClient(containers.mime);
    let count = 0;
    if (await container.exists()) {
      for await (const blob of container.listBlobsFlat()) {
        const file = join(resolve(target), ...blob.name.split('/'));
        mkdirSync(dirname(file), { recursive: true });
        const download = await container.getBlobClient(blob.name).download();
        await pipeline(download.readableStreamBody as NodeJS.ReadableStream, createWriteStream(file));
        count++;
      }
    }
    console.log(`exported ${count} message(s) to ${resolve(target)}`);
    return 0;
  } finally {
    await azurite?.stop();
  }
}


main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
