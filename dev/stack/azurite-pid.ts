/** The file in an Azurite data folder that names the process using it (azurite-child.ts writes it, startAzurite waits on it). */
export const AZURITE_PID_FILE = 'azurite.pid';
