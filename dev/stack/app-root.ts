import { resolve } from 'node:path';

/** The checkout this code was compiled from (this file runs as dist/dev/stack/app-root.js). */
export const appRoot = resolve(__dirname, '..', '..', '..');
