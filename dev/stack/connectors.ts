/**
 * Which connectors a command-line tool may name. Locally: the ones configured in the app settings.
 * In Azure the settings live in the function app, so: the ones the deployment has scheduled (each
 * has a checkpoint row from its first run on; a connector that never ran holds no items either).
 * Any other name is refused instead of quietly answering "nothing found".
 */
import { tables } from '../../shared/storage/names';
import { hasStatus } from '../../shared/http/http-error';
import { UsageError } from '../cli/command-line';
import type { AppSettings } from '../../shared/app/settings';
import type { ToolStorage } from './tool-storage';

export function requireConfigured(settings: AppSettings, connectorId: string): void {
  const known = settings.connectors.map((c) => c.id);
  if (!known.includes(connectorId)) throw new UsageError(`unknown connector "${connectorId}"; configured (ARCHIVE_CONNECTORS): ${known.join(', ')}`);
}

/** The connectors of the deployment behind an Azure storage account. */
export async function knownConnectors(tool: ToolStorage): Promise<string[]> {
  const ids = new Set<string>();
  try {
    for await (const e of tool.storage.table(tables.checkpoints).listEntities({ queryOptions: { select: ['PartitionKey'] } })) ids.add(e.partitionKey!);
  } catch (err) {
    if (!hasStatus(err, 404)) throw err;
  }
  return [...ids].sort();
}

export async function requireConnector(tool: ToolStorage, connectorId: string): Promise<void> {
  if (tool.settings) return requireConfigured(tool.settings, connectorId);
  const known = await knownConnectors(tool);
  if (!known.includes(connectorId)) throw new UsageError(`unknown connector "${connectorId}"; scheduled by this deployment: ${known.join(', ') || 'none yet'}`);
}
