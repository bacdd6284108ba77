/**
 * `npm run infra:layout`: writes infra/storage-layout.json from shared/storage/provisioned.ts, so the
 * Bicep (loadJsonContent) provisions exactly the app's containers, queues and tables. A test fails
 * when the two differ.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraLayout } from '../../shared/storage/provisioned';
import { appRoot } from '../stack/app-root';
import { parseCommandLine, runCommand } from './command-line';

runCommand(() => {
  parseCommandLine({
    usage: 'npm run infra:layout',
    help: "Writes infra/storage-layout.json (the containers, queues and tables the Bicep provisions) from the app's own list.",
    options: {},
  });
  writeFileSync(join(appRoot, 'infra', 'storage-layout.json'), `${JSON.stringify(infraLayout(), null, 2)}\n`);
  console.log('wrote infra/storage-layout.json');
  return Promise.resolve(0);
});
