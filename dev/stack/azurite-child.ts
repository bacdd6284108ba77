/**
 * Azurite's entry point, run in a child process that exits as soon as its parent is gone, however
 * the parent ended (Ctrl-C, a crash, SIGKILL), so a stopped `npm start` never leaves Azurite
 * holding its ports. The IPC channel closes when the parent dies.
 */
process.on('disconnect', () => process.exit(0));
require('azurite/dist/src/azurite.js');
