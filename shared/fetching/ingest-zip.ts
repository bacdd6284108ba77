/**
 * Ingests one ZIP the vendor dropped into an sftp-zip connector's landing container: every EML in
 * it becomes a raw item, or none does. The whole ZIP is checked first (limits and names by the ZIP
 * reader, the manifest as the vendor states it, every entry inflated once against its size and
 * CRC-32); only then are the EMLs stored. A ZIP that fails is copied to landing-quarantine with the
 * reason, dead-lettered and counted as failed; the landing blob is left where the vendor put it.
 * Safe to run twice at once (Event Grid and the scheduled sweep, or a duplicated event): the ZIP is
 * claimed by its SHA-256 with a conditional insert, and each EML is stored once by its own SHA-256,
 * so a ZIP delivered again or renamed stores nothing new.
 */
import { createHash, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import type { BlobClient, BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config/config';
import type { StorageClients } from '../storage/clients';
import { containers, landingContainerOf } from '../storage/names';
import { hasStatus } from '../http/http-error';
import type { RunStatusStore } from '../runs/run-status';
import type { DeadLetterStore } from '../runs/dead-letters';
import { percentEncode } from '../text/percent-encode';
import { openZip, ZipRefusedError, type RangeSource, type ZipArchive } from '../zip/zip-reader';
import { checkManifest, findManifest, ManifestError } from './zip-manifest';
import type { DeliveryRow, DeliveryStore } from './delivery-store';
import { storeRawEmail } from './store-raw-email';
import { etagOf } from '../http/etag';

export interface IngestDeps {
  settings: Pick<Config, 'connectors' | 'delivery'>;
  storage: StorageClients;
  landing: BlobServiceClient;
  deliveries: DeliveryStore;
  runStatus: RunStatusStore;
  deadLetters: DeadLetterStore;
  now?: () => Date;
  log?: (message: string) => void;
}

/**
 * ingested: its EMLs are stored; already-ingested: this content was read before (delivered again or
 * renamed); refused: kept in quarantine with the reason; incomplete: still uploading, left for its
 * next event or the sweep; busy: another execution is reading it; ignored: not a .zip, or gone.
 */
export type IngestOutcome = 'ingested' | 'already-ingested' | 'refused' | 'incomplete' | 'busy' | 'ignored';

export interface IngestResult {
  outcome: IngestOutcome;
  reason?: string;
  /** The run the ZIP was counted in, when it was. */
  runId?: string;
  emails: number;
  written: number;
  present: number;
}

/** The run an ingest is counted in, asked for only when there is something to count. */
export type RunFor = () => Promise<string>;

export async function ingestZip(connectorId: string, name: string, runFor: RunFor, deps: IngestDeps): Promise<IngestResult> {
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? (() => new Date());
  const limits = deps.settings.delivery;
  const result: IngestResult = { outcome: 'ignored', emails: 0, written: 0, present: 0 };
  const connector = deps.settings.connectors.find((c) => c.id === connectorId);
  if (!connector || connector.source !== 'sftp-zip') throw new Error(`ZIP ${name} landed for "${connectorId}", which is not a configured sftp-zip connector`);
  if (!/\.zip$/i.test(name)) return { ...result, reason: 'not a .zip (a temporary upload name, or another file)' };

  const blob = deps.landing.getContainerClient(landingContainerOf(connectorId)).getBlobClient(name);
  let properties;
  try {
    properties = await blob.getProperties();
  } catch (err) {
    if (hasStatus(err, 404)) return { ...result, reason: 'the blob is gone' };
    throw err;
  }
  const etag = etagOf(properties.etag, `landing blob ${name}`);
  const size = properties.contentLength ?? 0;
  const settled = now().getTime() - (properties.lastModified?.getTime() ?? 0) > limits.settleMinutes * 60_000;
  if (size === 0 && !settled) return { ...result, outcome: 'incomplete', reason: 'empty: the SFTP upload has opened the file but not committed it' };

  const refuseUnclaimed = async (reason: string): Promise<IngestResult> => {
    const runId = await runFor();
    await recordRefusal(deps, { connectorId, name, runId, reason, quarantined: undefined });
    await deps.deliveries.markBlob(connectorId, name, etag, `etag:${etag}`, 'refused');
    return { ...result, outcome: 'refused', reason, runId };
  };
  if (size > limits.maxZipBytes) return refuseUnclaimed(`zip-too-large: ${size} bytes, more than ZIP_MAX_MB; left in the landing container`);

  const sha256 = await hashBlob(blob, etag);
  const holder = randomUUID();
  const runId = await runFor();
  const claim = await deps.deliveries.claim(connectorId, sha256, { name, runId, holder });
  if (!claim.mine) {
    if (claim.row.state === 'ingesting') return { ...result, outcome: 'busy', reason: `being read by run ${claim.row.runId}` };
    await deps.deliveries.markBlob(connectorId, name, etag, sha256, claim.row.state);
    await deps.runStatus.recordItem(runId, connectorId, 'fetch', `zip:${name}`, 'present', {
      path: name,
      reason: `same content as ${claim.row.name} (${claim.row.state} in run ${claim.row.runId})`,
    });
    log(`${connectorId}: ZIP ${name} has the content of ${claim.row.name}, ${claim.row.state} before; nothing new`);
    return { ...result, outcome: 'already-ingested', runId };
  }

  try {
    const outcome = await readAndStore(connectorId, name, { blob, etag, size, sha256, receivedAt: properties.lastModified ?? now(), settled }, claim.row, deps);
    if (outcome.outcome === 'incomplete') {
      await deps.deliveries.release(connectorId, sha256, claim.row);
      return { ...result, ...outcome, runId };
    }
    if (outcome.outcome === 'refused') {
      const quarantined = await quarantine(deps, connectorId, name, blob, etag, sha256, outcome.reason!);
      await recordRefusal(deps, { connectorId, name, runId, reason: outcome.reason!, quarantined });
      await deps.deliveries.settle(connectorId, sha256, claim.row, { state: 'refused', reason: outcome.reason });
      await deps.deliveries.markBlob(connectorId, name, etag, sha256, 'refused');
      log(`${connectorId}: ZIP ${name} refused (${outcome.reason}); kept in ${quarantined}`);
      return { ...result, ...outcome, runId };
    }
    await deps.deliveries.settle(connectorId, sha256, claim.row, {
      state: 'ingested',
      emails: outcome.emails,
      written: outcome.written,
      present: outcome.present,
    });
    await deps.deliveries.markBlob(connectorId, name, etag, sha256, 'ingested');
    log(`${connectorId}: ZIP ${name}: ${outcome.emails} EMLs, ${outcome.written} new, ${outcome.present} already stored`);
    return { ...result, ...outcome, runId };
  } catch (err) {
    // A storage failure mid-way: give the claim back so the retry (or the sweep) reads the ZIP again at once.
    await deps.deliveries.release(connectorId, sha256, claim.row).catch(() => undefined);
    throw err;
  }
}

interface LandedZip {
  blob: BlobClient;
  etag: string;
  size: number;
  sha256: string;
  receivedAt: Date;
  settled: boolean;
}

async function readAndStore(connectorId: string, name: string, zip: LandedZip, claim: DeliveryRow, deps: IngestDeps): Promise<Omit<IngestResult, 'runId'>> {
  const counts = { emails: 0, written: 0, present: 0 };
  const source: RangeSource = {
    size: zip.size,
    // Every range is read under the ETag that was hashed: a ZIP overwritten meanwhile fails, not mixes.
    read: async (start, end) => (await zip.blob.download(start, end - start, { conditions: { ifMatch: zip.etag } })).readableStreamBody!,
  };
  let archive: ZipArchive;
  try {
    archive = await openZip(source, deps.settings.delivery);
  } catch (err) {
    if (hasStatus(err, 412)) return { ...counts, outcome: 'incomplete', reason: 'the ZIP changed while it was read' };
    if (!(err instanceof ZipRefusedError)) throw err;
    // SFTP commits the upload when the file is closed; until the settle time, an unreadable ZIP may still be arriving.
    if (err.code === 'not-a-zip' && !zip.settled) return { ...counts, outcome: 'incomplete', reason: err.message };
    return { ...counts, outcome: 'refused', reason: err.message };
  }
  try {
    const manifest = findManifest(archive.entries);
    const text = (await buffer(await archive.open(manifest))).toString('utf8');
    const check = checkManifest(archive.entries, manifest, text);
    // Inflate every EML once before storing any: a ZIP that fails its CRC anywhere stores nothing.
    const hashes = new Map<string, string>();
    for (const { entry } of check.emls) hashes.set(entry.name, await hashStream(await archive.open(entry)));
    for (const { entry, line } of check.emls) {
      const sha256 = hashes.get(entry.name)!;
      const stored = await storeRawEmail(
        deps.storage,
        { connectorId, runId: claim.runId },
        {
          sha256,
          content: { stream: () => archive.open(entry), size: entry.uncompressedSize },
          delivery: `zip ${name} (SHA-256 ${zip.sha256}) manifest line ${line} entry ${entry.name}`,
          receivedAt: zip.receivedAt,
          extra: { zipsha256: zip.sha256 },
        },
      );
      counts.emails++;
      counts[stored.outcome]++;
      await deps.runStatus.recordItem(claim.runId, connectorId, 'fetch', sha256, stored.outcome, { path: stored.path });
    }
    return { ...counts, outcome: 'ingested' };
  } catch (err) {
    if (err instanceof ZipRefusedError || err instanceof ManifestError) {
      if (counts.emails > 0) throw err; // Cannot happen: every entry was read whole before the first was stored.
      return { ...counts, outcome: 'refused', reason: err.message };
    }
    if (hasStatus(err, 412)) return { ...counts, outcome: 'incomplete', reason: 'the ZIP changed while it was read' };
    throw err;
  } finally {
    archive.close();
  }
}

async function hashBlob(blob: BlobClient, etag: string): Promise<string> {
  const download = await blob.download(0, undefined, { conditions: { ifMatch: etag } });
  return hashStream(download.readableStreamBody!);
}

async function hashStream(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The refused ZIP, byte for byte, in our own account (the landing container is the vendor's to write). */
async function quarantine(
  deps: IngestDeps,
  connectorId: string,
  name: string,
  blob: BlobClient,
  etag: string,
  sha256: string,
  reason: string,
): Promise<string> {
  const path = `${connectorId}/${sha256}/${encodeURIComponent(name)}`;
  const target = deps.storage.blob.getContainerClient(containers.landingQuarantine).getBlockBlobClient(path);
  try {
    const download = await blob.download(0, undefined, { conditions: { ifMatch: etag } });
    await target.uploadStream(download.readableStreamBody as Readable, 4 * 1024 * 1024, 2, {
      conditions: { ifNoneMatch: '*' },
      metadata: { connector: connectorId, zipname: percentEncode(name), sha256, reason: percentEncode(reason).slice(0, 2000) },
    });
  } catch (err) {
    if (!hasStatus(err, 409)) throw err;
  }
  return `${containers.landingQuarantine}/${path}`;
}

async function recordRefusal(
  deps: IngestDeps,
  r: { connectorId: string; name: string; runId: string; reason: string; quarantined: string | undefined },
): Promise<void> {
  const key = `zip:${r.name}`;
  const input = r.quarantined ?? `${landingContainerOf(r.connectorId)}/${r.name}`;
  await deps.deadLetters.record({
    connectorId: r.connectorId,
    stage: 'fetch',
    key,
    reason: `ZIP refused, nothing of it imported: ${r.reason}`,
    input,
    runId: r.runId,
  });
  await deps.runStatus.recordItem(r.runId, r.connectorId, 'fetch', key, 'failed', { reason: r.reason, path: input });
}
