import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { ingestZipAsRun, landedZipOf } from '../shared/fetching/ingest-zip-run';

/**
 * Event Grid: a blob was created in an SFTP landing container (one per sftp-zip connector): ingest
 * the ZIP. The event only names the blob; the ZIP is read in ranges, never loaded whole. The
 * scheduled sweep ingests what no event brought (docs/sources.md).
 */
export async function zipLanded(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const landed = landedZipOf(event);
  if (!landed) {
    context.log(`event ${event.id} (${event.eventType}, ${event.subject}) is not a blob created in a landing container; ignored`);
    return;
  }
  const s = services();
  if (!s.landing) throw new Error('a ZIP landed, but LandingStorage is not configured (no sftp-zip connector?)');
  const result = await ingestZipAsRun(landed.connectorId, landed.name, { ...s, landing: s.landing, log: (m) => context.log(m) });
  const line = `ZIP ${landed.connectorId}/${landed.name}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}, ${result.written} new EML(s), ${result.present} already stored`;
  if (result.outcome === 'refused') context.warn(line);
  else context.log(line);
}

app.eventGrid('zipLanded', { handler: guarded(zipLanded) });
