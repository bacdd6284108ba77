/**
 * Azurite's entry point, run in a child process that exits as soon as its parent is gone, however
 * the parent ended (Ctrl-C, a crash, SIGKILL), so a stopped `npm start` never leaves Azurite
 * holding its ports. The IPC channel closes when the parent dies.
 */
process.on('disconnect', () => process.exit(0));
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Azurite's own entry point, run for its effect
require('azurite/dist/src/azurite.js');
