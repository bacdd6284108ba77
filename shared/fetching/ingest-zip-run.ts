/**
 * The event-triggered ingest of one landed ZIP, counted as a run of its own (the run report shows
 * it beside the scheduled runs): the run starts only when the ZIP is read or found read before, so
 * events for temporary names, empty blobs being uploaded and ZIPs another execution holds leave no
 * trace but a log line.
 */
import type { EventGridEvent } from '@azure/functions';
import { landingContainerOf } from '../storage/names';
import { newRunId } from '../runs/run-id';
import { ingestZip, type IngestDeps, type IngestResult } from './ingest-zip';

/** `/blobServices/default/containers/landing-<id>/blobs/<name>` of a BlobCreated event, or undefined. */
export function landedZipOf(event: Pick<EventGridEvent, 'eventType' | 'subject'>): { connectorId: string; name: string } | undefined {
  if (event.eventType !== 'Microsoft.Storage.BlobCreated') return undefined;
  const m = /^\/blobServices\/default\/containers\/([a-z0-9-]+)\/blobs\/(.+)$/.exec(event.subject);
  if (!m) return undefined;
  const connectorId = m[1].replace(/^landing-/, '');
  if (landingContainerOf(connectorId) !== m[1]) return undefined;
  return { connectorId, name: m[2] };
}

export async function ingestZipAsRun(connectorId: string, name: string, deps: IngestDeps): Promise<IngestResult> {
  const now = (deps.now ?? (() => new Date()))();
  let runId: string | undefined;
  const runFor = async () => {
    if (!runId) {
      runId = newRunId(now);
      await deps.runStatus.startRun(runId, now, 'zip-landed');
    }
    return runId;
  };
  const result = await ingestZip(connectorId, name, runFor, deps);
  if (runId) {
    const state = result.outcome === 'refused' ? 'failed' : 'fetched';
    await deps.runStatus.setConnectorState(runId, connectorId, state, {
      message: `ZIP ${name}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`,
    });
  }
  return result;
}
