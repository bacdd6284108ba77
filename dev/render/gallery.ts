/**
 * The messages a reviewer should look at before a release: one per item type of the three seed
 * products, and the hard cases (a group chat with right-to-left participants, CJK and emoji, an MMS
 * with two images, a missed call, a voicemail, a deleted and an edited WhatsApp message, a 20 MB call
 * recording). Built from the archiver simulator's people and media, and converted by the real
 * converter code (readRawItem, composeMessage, renderSkeleton, serializeMessage).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { employees, externalContacts, type Person } from '../stack/archiver-sim/directory';
import { mediaSha256, mediaSize, mediaStream, wavSeconds, wavSizeForSeconds, type MediaSpec } from '../stack/archiver-sim/media';
import { readRawItem } from '../../shared/items/raw-item';
import { rawItemPath } from '../../shared/items/paths';
import { containers } from '../../shared/storage/names';
import { composeMessage } from '../../shared/converting/compose';
import type { MessagePlan } from '../../shared/mime/message-plan';
import { renderSkeleton } from '../../shared/mime/render';
import { serializeMessage, type AttachmentSource } from '../../shared/mime/serialize';

export interface GalleryAttachment {
  id: string;
  name: string;
  contentType: string;
  spec: MediaSpec;
}

export interface GalleryItem {
  /** File name of the .eml and .png: `<product>--<what it shows>`. */
  name: string;
  connectorId: string;
  product: string;
  raw: Record<string, unknown>;
  attachments: GalleryAttachment[];
}

const person = (name: string): Person => {
  const found = [...employees, ...externalContacts].find((p) => p.name === name);
  if (!found) throw new Error(`no ${name} in the simulator's directory`);
  return found;
};
const olivia = person('Olivia Bennett');
const omar = person('عمر حداد');
const noa = person('נועה לוי');
const wei = person('陈伟 (Chen Wei)');
const yuki = person('田中 由紀');
const harbor = person('Harbor Capital');
const caller = person('Unknown caller');
const who = (p: Person) => ({ number: p.number, name: p.name, email: p.email });

const AT = '2026-11-20T09:14:03.120Z';
const wav = (seconds: number, seed: number): MediaSpec => ({ kind: 'wav', seed, size: wavSizeForSeconds(seconds) });
const image = (seed: number): MediaSpec => ({ kind: 'png', seed, size: mediaSize({ kind: 'png', seed }) });
const att = (id: string, name: string, contentType: string, spec: MediaSpec): GalleryAttachment => ({ id, name, contentType, spec });
const callOf = (outcome: string, seconds: number, recordingAttachmentId: string | null = null) => ({
  start: AT,
  end: new Date(Date.parse(AT) + seconds * 1000).toISOString(),
  durationSeconds: seconds,
  outcome,
  recordingAttachmentId,
});

function item(name: string, product: string, type: string, fields: Record<string, unknown>, attachments: GalleryAttachment[] = []): GalleryItem {
  const connectorId = product.split('-')[0];
  return {
    name: `${product}--${name}`,
    connectorId,
    product,
    attachments,
    raw: {
      id: `gallery-${name}`,
      product,
      type,
      timestamp: AT,
      archivedAt: '2026-11-20T09:14:05.000Z',
      archivedLine: olivia.number,
      direction: 'outbound',
      conversation: { id: `conv-${name}`, name: null, kind: 'direct' },
      from: olivia.number,
      participants: [who(olivia), who(harbor)],
      text: null,
      call: null,
      deleted: null,
      edited: null,
      ...fields,
    },
  };
}

export const gallery: readonly GalleryItem[] = [
  item('sms', 'enterprise-number', 'sms', { text: 'Price confirmed at 101.25, sending the ticket now 👍' }),
  item('mms-two-images', 'enterprise-number', 'mms', { text: 'Whiteboard and the term sheet', direction: 'inbound', from: harbor.number }, [
    att('img-1', 'IMG_0042.png', 'image/png', image(42)),
    att('img-2', 'IMG_0043.png', 'image/png', image(43)),
  ]),
  item('chat-group-rtl-cjk-emoji', 'enterprise-number', 'chat', {
    text: 'مرحبا، هل التقرير جاهز؟ 📊\nשלום! נדבר מחר בשעה 10:30\n収到，谢谢！明天见。🙏',
    direction: 'inbound',
    from: omar.number,
    conversation: { id: 'conv-desk', name: 'مكتب الأسعار Rates desk', kind: 'group' },
    participants: [who(olivia), who(omar), who(noa), who(wei), who(yuki)],
  }),
  item('voice-call-log-missed', 'enterprise-number', 'voice-call-log', {
    call: callOf('missed', 0),
    direction: 'inbound',
    from: caller.number,
    participants: [who(olivia), { number: caller.number, name: null, email: null }],
  }),
  item('voice-call-recording-20mb', 'enterprise-number', 'voice-call-recording', { call: callOf('answered', 1310, 'rec-20mb') }, [
    att('rec-20mb', 'call-recording-20mb.wav', 'audio/wav', wav(1310, 5)),
  ]),
  item(
    'voicemail',
    'enterprise-number',
    'voicemail',
    { call: callOf('missed', 0), direction: 'inbound', from: omar.number, participants: [who(olivia), who(omar)] },
    [att('vm-1', 'voicemail.wav', 'audio/wav', wav(21, 6))],
  ),
  item('sms-cjk', 'o2-network', 'sms', { text: '收到，谢谢！明天见。', direction: 'inbound', from: wei.number, participants: [who(olivia), who(wei)] }),
  item('voice-call-log', 'o2-network', 'voice-call-log', { call: callOf('answered', 754) }),
  item('voice-call-recording', 'o2-network', 'voice-call-recording', { call: callOf('answered', 3, 'o2-rec') }, [
    att('o2-rec', 'recording 2026-11-20.wav', 'audio/wav', wav(3, 7)),
  ]),
  item('whatsapp-message-edited', 'whatsapp', 'whatsapp-message', {
    text: "Let's take this offline 🤐",
    edited: { editedAt: '2026-11-20T09:15:03.450Z', previousText: 'Call me on my personal phone' },
    conversation: { id: 'conv-fx', name: 'FX – London/Paris', kind: 'group' },
    participants: [who(olivia), who(omar), who(harbor)],
  }),
  item('whatsapp-call-rejected', 'whatsapp', 'whatsapp-call', {
    call: callOf('rejected', 0),
    direction: 'inbound',
    from: noa.number,
    participants: [who(olivia), who(noa)],
  }),
  item('whatsapp-file', 'whatsapp', 'whatsapp-file', { text: 'Blotter attached' }, [
    att('wa-file', 'blotter; "Q3".csv', 'text/csv', { kind: 'csv', seed: 7, size: 600 }),
  ]),
  item('whatsapp-deleted-message', 'whatsapp', 'whatsapp-deleted-message', {
    deleted: { deletedAt: '2026-11-20T09:20:00.250Z', deletedBy: olivia.number, originalText: 'Delete this after reading' },
  }),
];

export interface ConvertedSample {
  plan: MessagePlan;
  /** The .eml as the converter writes it, streamed (a 20 MB recording never sits in memory). */
  eml: Readable;
}

/** Converts a gallery item exactly as the converter does. */
export async function convertSample(sample: GalleryItem): Promise<ConvertedSample> {
  const attachments = await Promise.all(
    sample.attachments.map(async (a) => ({
      id: a.id,
      name: a.name,
      contentType: a.contentType,
      size: a.spec.size,
      sha256: await mediaSha256(a.spec),
      ...(a.spec.kind === 'wav' ? { durationSeconds: wavSeconds(a.spec.size) } : {}),
    })),
  );
  const line = Buffer.from(JSON.stringify({ ...sample.raw, attachments }), 'utf8');
  return convertLine(line, sample.product, sample.connectorId, (i) => Promise.resolve(mediaStream(sample.attachments[i].spec)));
}

/** One raw item line through the converter's own steps, with the context the converter gives it. */
export function convertLine(line: Buffer, product: string, connectorId: string, openAttachment: AttachmentSource): ConvertedSample & { rawPath: string } {
  const valid = readRawItem(line, product, new Date('2026-11-21T00:00:00Z'));
  const rawPath = rawItemPath(connectorId, valid.item.id, valid.timestamp);
  const plan = composeMessage(valid, {
    connectorId,
    rawBlobPath: `${containers.rawItems}/${rawPath}`,
    rawSha256: createHash('sha256').update(line).digest('hex'),
  });
  return { plan, eml: serializeMessage(renderSkeleton(plan), openAttachment), rawPath };
}
