/**
 * Where the simulator's items come from. The interface is what the handlers use; the seeded
 * implementation generates a deterministic day of items per product on demand (nothing is stored),
 * so any window of any length can be listed, and the same window always lists the same items.
 */
import { employees, externalContacts, groupNames, texts, type Person } from './directory';
import { mediaSha256, mediaSize, wavSeconds, wavSizeForSeconds, csv, type MediaSpec } from './media';
import { Random } from './random';

export interface SimAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Length of a WAV recording, as an archiver states it. */
  durationSeconds: number | null;
  spec: MediaSpec;
}

export interface SimItem {
  id: string;
  archivedAt: Date;
  /** The item as the archiver sends it: one NDJSON line. */
  line: string;
  attachments: SimAttachment[];
}

export interface ItemSource {
  products(): readonly string[];
  listWindow(product: string, from: Date, to: Date): Promise<SimItem[]>;
  attachment(id: string): Promise<SimAttachment | undefined>;
}

export interface SeededSourceOptions {
  seed: number;
  itemsPerDay: number;
  /** When above 0, the first item of each product and day carries an attachment of this many bytes. */
  largeAttachmentBytes: number;
}

const DAY = 86_400_000;
const PREFIX: Record<string, string> = { 'enterprise-number': 'ent', 'o2-network': 'o2', whatsapp: 'wa' };
const TYPES: Record<string, readonly (readonly [string, number])[]> = {
  'enterprise-number': [
    ['sms', 35],
    ['mms', 15],
    ['chat', 20],
    ['voice-call-log', 15],
    ['voice-call-recording', 8],
    ['voicemail', 7],
  ],
  'o2-network': [
    ['sms', 60],
    ['voice-call-log', 30],
    ['voice-call-recording', 10],
  ],
  whatsapp: [
    ['whatsapp-message', 55],
    ['whatsapp-call', 15],
    ['whatsapp-file', 15],
    ['whatsapp-deleted-message', 15],
  ],
};

interface Conversation {
  id: string;
  name: string | null;
  kind: 'direct' | 'group';
  members: Person[];
}

export class SeededItemSource implements ItemSource {
  private readonly days = new Map<string, Promise<SimItem[]>>();
  private readonly conversations = new Map<string, Conversation[]>();

  constructor(private readonly options: SeededSourceOptions) {}

  products(): readonly string[] {
    return Object.keys(PREFIX);
  }

  async listWindow(product: string, from: Date, to: Date): Promise<SimItem[]> {
    const items: SimItem[] = [];
    for (let day = Math.floor(from.getTime() / DAY) * DAY; day < to.getTime(); day += DAY) {
      for (const item of await this.day(product, day)) {
        if (item.archivedAt >= from && item.archivedAt < to) items.push(item);
      }
    }
    return items;
  }

  async attachment(id: string): Promise<SimAttachment | undefined> {
    const m = /^([a-z0-9]+)-(\d{8})-(\d{6})-a\d+$/.exec(id);
    if (!m) return undefined;
    const product = Object.keys(PREFIX).find((p) => PREFIX[p] === m[1]);
    if (!product) return undefined;
    const day = Date.UTC(Number(m[2].slice(0, 4)), Number(m[2].slice(4, 6)) - 1, Number(m[2].slice(6, 8)));
    const item = (await this.day(product, day))[Number(m[3])];
    return item?.attachments.find((a) => a.id === id);
  }

  private day(product: string, dayStart: number): Promise<SimItem[]> {
    const key = `${product}:${dayStart}`;
    let items = this.days.get(key);
    if (!items) {
      items = this.generateDay(product, dayStart);
      this.days.set(key, items);
      // Keep the cache bounded: a long catch-up window visits many days once.
      if (this.days.size > 64) this.days.delete(this.days.keys().next().value as string);
    }
    return items;
  }

  private async generateDay(product: string, dayStart: number): Promise<SimItem[]> {
    const ymd = new Date(dayStart).toISOString().slice(0, 10).replace(/-/g, '');
    const n = this.options.itemsPerDay;
    const items: SimItem[] = [];
    for (let i = 0; i < n; i++) {
      const rng = new Random(`${this.options.seed}:${product}:${ymd}:${i}`);
      const id = `${PREFIX[product]}-${ymd}-${String(i).padStart(6, '0')}`;
      const archivedAt = new Date(dayStart + Math.floor(((i + rng.next()) * DAY) / n));
      const large = i === 0 && this.options.largeAttachmentBytes > 0;
      items.push(await this.generateItem(product, id, archivedAt, rng, large));
    }
    return items;
  }

  private conversationsOf(product: string): Conversation[] {
    let list = this.conversations.get(product);
    if (list) return list;
    const rng = new Random(`${this.options.seed}:${product}:conversations`);
    list = [];
    for (let c = 0; c < 14; c++) {
      const owner = employees[c % employees.length];
      const group = product !== 'o2-network' && c % 3 === 2;
      const members = [owner];
      const size = group ? rng.int(3, 5) : 2;
      while (members.length < size) {
        const other = rng.chance(0.5) ? rng.pick(employees) : rng.pick(externalContacts);
        if (!members.includes(other)) members.push(other);
      }
      list.push({ id: `conv-${product.slice(0, 2)}-${c}`, name: group ? groupNames[c % groupNames.length] : null, kind: group ? 'group' : 'direct', members });
    }
    this.conversations.set(product, list);
    return list;
  }

  private async generateItem(product: string, id: string, archivedAt: Date, rng: Random, large: boolean): Promise<SimItem> {
    let type = rng.weighted(TYPES[product]);
    if (large) type = product === 'whatsapp' ? 'whatsapp-file' : 'voice-call-recording';
    const conversation = rng.pick(this.conversationsOf(product));
    const owner = conversation.members[0];
    const from = rng.chance(0.5) ? owner : rng.pick(conversation.members.slice(1));
    const timestamp = new Date(archivedAt.getTime() - rng.int(1, 30) * 1000);
    const attachments: SimAttachment[] = [];
    const attach = async (name: string, contentType: string, spec: MediaSpec) => {
      const durationSeconds = spec.kind === 'wav' ? wavSeconds(spec.size) : null;
      attachments.push({ id: `${id}-a${attachments.length + 1}`, name, contentType, size: spec.size, sha256: await mediaSha256(spec), durationSeconds, spec });
    };
    const wav = (seconds: number) => ({
      kind: 'wav' as const,
      size: large ? this.options.largeAttachmentBytes - (this.options.largeAttachmentBytes % 2) : wavSizeForSeconds(seconds),
      seed: rng.int(0, 1e6),
    });

    let text: string | null = null;
    let call: Record<string, unknown> | null = null;
    let deleted: Record<string, unknown> | null = null;
    let edited: Record<string, unknown> | null = null;
    const callOf = (outcome: string, seconds: number, recordingAttachmentId?: string) => ({
      start: timestamp.toISOString(),
      end: new Date(timestamp.getTime() + seconds * 1000).toISOString(),
      durationSeconds: seconds,
      outcome,
      recordingAttachmentId: recordingAttachmentId ?? null,
    });

    switch (type) {
      case 'sms':
      case 'chat':
        text = rng.pick(texts);
        break;
      case 'mms': {
        text = rng.chance(0.6) ? rng.pick(texts) : null;
        const seed = rng.int(0, 0xffffff);
        await attach(`IMG_${rng.int(1000, 9999)}.png`, 'image/png', { kind: 'png', seed, size: mediaSize({ kind: 'png', seed }) });
        break;
      }
      case 'whatsapp-message': {
        text = rng.pick(texts);
        if (rng.chance(0.15)) {
          const seed = rng.int(0, 0xffffff);
          await attach(`photo ${rng.int(1, 99)}.png`, 'image/png', { kind: 'png', seed, size: mediaSize({ kind: 'png', seed }) });
        }
        if (rng.chance(0.1)) edited = { editedAt: new Date(timestamp.getTime() + 60_000).toISOString(), previousText: rng.pick(texts) };
        break;
      }
      case 'voice-call-log':
      case 'whatsapp-call': {
        const outcome = rng.weighted([
          ['answered', 6],
          ['missed', 3],
          ['rejected', 1],
        ] as const);
        call = callOf(outcome, outcome === 'answered' ? rng.int(5, 900) : 0);
        break;
      }
      case 'voice-call-recording': {
        const spec = wav(rng.int(2, 4));
        await attach(`call-recording-${id}.wav`, 'audio/wav', spec);
        call = callOf('answered', Math.max(1, Math.round((spec.size - 44) / 16000)), attachments[0].id);
        break;
      }
      case 'voicemail': {
        await attach(`voicemail-${id}.wav`, 'audio/wav', wav(rng.int(2, 3)));
        call = callOf('missed', 0);
        break;
      }
      case 'whatsapp-file': {
        text = rng.chance(0.4) ? rng.pick(texts) : null;
        if (large) await attach('voice-note.wav', 'audio/wav', wav(0));
        else {
          const seed = rng.int(0, 1e6);
          const size = rng.int(300, 4000);
          await attach(`blotter; "Q${rng.int(1, 4)}".csv`, 'text/csv', { kind: 'csv', seed, size: csv(seed, size).length });
        }
        break;
      }
      case 'whatsapp-deleted-message':
        deleted = {
          deletedAt: new Date(timestamp.getTime() + rng.int(5, 600) * 1000).toISOString(),
          deletedBy: from.number,
          originalText: rng.chance(0.8) ? rng.pick(texts) : null,
        };
        break;
    }

    const item = {
      id,
      product,
      type,
      timestamp: timestamp.toISOString(),
      archivedAt: archivedAt.toISOString(),
      archivedLine: owner.number,
      direction: from === owner ? 'outbound' : 'inbound',
      conversation: { id: conversation.id, name: conversation.name, kind: conversation.kind },
      from: from.number,
      participants: conversation.members.map((p) => ({ number: p.number, name: p.name, email: p.email })),
      text,
      attachments: attachments.map(({ id: aid, name, contentType, size, sha256, durationSeconds }) => ({
        id: aid,
        name,
        contentType,
        size,
        sha256,
        ...(durationSeconds !== null ? { durationSeconds } : {}),
      })),
      call,
      deleted,
      edited,
    };
    return { id, archivedAt, line: JSON.stringify(item), attachments };
  }
}
