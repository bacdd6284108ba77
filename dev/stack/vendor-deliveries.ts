/**
 * What the archiver vendor delivers on its own, played into the local stack when it starts: a ZIP
 * for each sftp-zip connector, uploaded into its landing container (Azurite has no SFTP; an upload
 * is what an SFTP put becomes in Blob storage), and per-message, threaded and journal-wrapped
 * emails into each smtp-mailbox connector's journal mailbox in the Graph simulator. The same day is
 * delivered at every start, as a vendor re-sending would: the app must import it once.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ConnectorSettings } from '../../shared/config/connector-settings';
import { landingContainerOf } from '../../shared/storage/names';
import { deliveryZip, journalWrapped, threadedEml, vendorEmails, zipName } from './archiver-sim/deliveries';
import type { GraphSimulator } from './graph-sim/server';

export interface DeliveryOptions {
  seed: number;
  itemsPerDay: number;
  now: Date;
}

export async function deliverVendorItems(
  connectors: readonly ConnectorSettings[],
  landing: BlobServiceClient | undefined,
  graph: GraphSimulator | undefined,
  o: DeliveryOptions,
): Promise<string[]> {
  const notes: string[] = [];
  const day = new Date(Date.UTC(o.now.getUTCFullYear(), o.now.getUTCMonth(), o.now.getUTCDate() - 1));
  const count = Math.max(1, Math.ceil(o.itemsPerDay / 2));
  for (const [i, c] of connectors.entries()) {
    const seed = o.seed + 1000 * (i + 1);
    if (c.source === 'sftp-zip' && landing) {
      const container = landing.getContainerClient(landingContainerOf(c.id));
      await container.createIfNotExists();
      const zip = await deliveryZip([...vendorEmails({ seed, day, count }), threadedEml(seed, day)]);
      const name = zipName(day, 1, new Date(day.getTime() + 86_400_000 + 3_600_000));
      await container.getBlockBlobClient(name).upload(zip, zip.length);
      notes.push(`vendor delivery: ${name} (${count + 1} EMLs) in ${landingContainerOf(c.id)}`);
    }
    if (c.source === 'smtp-mailbox' && graph && c.journal) {
      const emails = vendorEmails({ seed, day, count });
      const upn = graph.users.find(
        (u) => u.mail?.toLowerCase() === c.journal!.mailbox || u.userPrincipalName.toLowerCase() === c.journal!.mailbox,
      )?.userPrincipalName;
      if (!upn) {
        notes.push(`vendor delivery: no simulated mailbox ${c.journal.mailbox} for ${c.id}; nothing delivered`);
        continue;
      }
      // Delivered only once per simulator state: the Graph simulator keeps its mailboxes across restarts.
      if (graph.messagesOf(upn).length > 0) continue;
      const wrapped = emails.splice(0, Math.ceil(emails.length / 4));
      for (const e of emails) await graph.deliver(upn, e);
      await graph.deliver(upn, threadedEml(seed, day));
      for (const [j, e] of wrapped.entries()) {
        await graph.deliver(
          upn,
          journalWrapped(e, {
            sender: 'capture@telemessage.invalid',
            recipients: [c.journal.mailbox],
            reportId: `<journal-${seed}-${j}@capture.telemessage.invalid>`,
          }),
        );
      }
      notes.push(`vendor delivery: ${emails.length + 1 + wrapped.length} emails (${wrapped.length} journal-wrapped, 1 threaded) to ${c.journal.mailbox}`);
    }
  }
  return notes;
}
