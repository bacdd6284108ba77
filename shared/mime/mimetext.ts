/**
 * Loads mimetext's ES module build. Since 3.0.27 its CommonJS build (where the package's "exports"
 * sends require()) exports nothing, while the ES build beside it loads with Node 22's require(esm).
 * The golden tests fail if a release moves or renames either file.
 */
import type * as Mimetext from 'mimetext';

function load(): typeof Mimetext {
  const cjs = require.resolve('mimetext');
  const esm = cjs.replace(/\.cjs\.js$/, '.es.js');
  if (esm === cjs) throw new Error(`mimetext: expected its CommonJS build at *.cjs.js, got ${cjs}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the ES build, on purpose
  return require(esm) as typeof Mimetext;
}

export const { MIMEMessage } = load();
export type { Mailbox } from 'mimetext';
