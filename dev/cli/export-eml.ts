/**
 * `npm run export:eml -- <dir> [--data-dir DIR]`: copies every converted message into <dir>,
 * keeping the connector/date folders, so a person can open them in a mail client.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { containers } from '../../shared/storage/names';
import { runCommand, takeDataDir, withStackStorage } from '../stack/tool-storage';

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
  });
});
