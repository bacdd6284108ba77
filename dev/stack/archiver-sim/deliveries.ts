/**
 * The vendor's own deliveries, simulated (docs/sources.md): EML files in a ZIP with a `.mf` manifest
 * for an SFTP drop, and per-message, threaded and journal-wrapped emails for SMTP to a journal
 * mailbox. The EML layout follows what the vendor documents (participants as `First Last Mobile
 * <email>`, the default display format) and fills the gaps with a plausible choice that the rules
 * (EML_RULES) can be changed for: an outside party is written as its number at a placeholder domain.
 * Deterministic per seed and day, so a restarted stack delivers the same emails again (and the
 * app must import them once).
 */
import { createHash } from 'node:crypto';
import yazl from 'yazl';
import { buffer } from 'node:stream/consumers';
import { addressList, base64Lines, CRLF, fold, quotedPrintable, rfc5322Date, unstructured } from '../../../shared/mime/encoding';
import { employees, externalContacts, texts, type Person } from './directory';
import { Random } from './random';

/** The placeholder domain outside parties' numbers are written at (EML_RULES numberOnlyDomains in the sample). */
export const OUTSIDE_PARTY_DOMAIN = 'sms.telemessage.invalid';

export interface VendorEmailOptions {
  seed: number;
  day: Date;
  count: number;
}

function mailboxOf(p: Person): { name: string; address: string } {
  return p.email ? { name: `${p.name} Mobile`, address: p.email } : { name: p.number, address: `${p.number.replace(/^\+/, '')}@${OUTSIDE_PARTY_DOMAIN}` };
}

function headerLines(headers: [string, string[]][]): string {
  return headers.map(([name, tokens]) => `${name}: ${fold(name, tokens)}${CRLF}`).join('');
}

function messageId(seed: string): string {
  return `<${createHash('sha256').update(seed).digest('hex').slice(0, 32)}@capture.telemessage.invalid>`;
}

/** One archived message as the vendor would email it: text, and sometimes a photo. */
function perMessageEml(r: Random, at: Date, index: number): Buffer {
  const from = r.pick(employees);
  const to = r.chance(0.6) ? r.pick(externalContacts) : r.pick(employees.filter((e) => e !== from));
  const text = r.pick(texts);
  const boundary = `=_sim_${createHash('sha256').update(`${at.toISOString()}#${index}`).digest('hex').slice(0, 24)}`;
  const head = headerLines([
    ['From', addressList([mailboxOf(from)])],
    ['To', addressList([mailboxOf(to)])],
    ['Date', [rfc5322Date(at)]],
    ['Subject', unstructured(`SMS from ${from.name}`)],
    ['Message-ID', [messageId(`${at.toISOString()}#${index}`)]],
    ['MIME-Version', ['1.0']],
  ]);
  if (!r.chance(0.3)) {
    return Buffer.from(
      `${head}Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${quotedPrintable(text)}${CRLF}`,
    );
  }
  const photo = Buffer.alloc(2048 + r.int(0, 4096), index % 251);
  return Buffer.from(
    `${head}Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}` +
      `--${boundary}${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${quotedPrintable(text)}${CRLF}` +
      `--${boundary}${CRLF}Content-Type: image/jpeg; name="IMG_${1000 + index}.jpg"${CRLF}Content-Disposition: attachment; filename="IMG_${1000 + index}.jpg"${CRLF}` +
      `Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(photo)}${CRLF}--${boundary}--${CRLF}`,
  );
}

/** A day's conversation as one threaded email (the vendor's daily threaded option). */
export function threadedEml(seed: number, day: Date): Buffer {
  const r = new Random(seed + 7);
  const a = employees[0];
  const b = externalContacts[0];
  const lines = Array.from({ length: 5 }, (_, i) => {
    const at = new Date(day.getTime() + (9 + i) * 3_600_000);
    return `${at.toISOString()} ${i % 2 === 0 ? a.name : b.number}: ${r.pick(texts)}`;
  });
  const head = headerLines([
    ['From', addressList([mailboxOf(a)])],
    ['To', addressList([mailboxOf(b)])],
    ['Date', [rfc5322Date(new Date(day.getTime() + 86_400_000 + 3_600_000))]],
    ['Subject', unstructured(`Conversation ${a.name} and ${b.number}, ${day.toISOString().slice(0, 10)}`)],
    ['Message-ID', [messageId(`thread-${seed}-${day.toISOString()}`)]],
    ['MIME-Version', ['1.0']],
  ]);
  return Buffer.from(
    `${head}Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${quotedPrintable(lines.join('\n'))}${CRLF}`,
  );
}

/**
 * An Exchange-style envelope journal report wrapping an original (the vendor's "journaling
 * wrapped" layout is not public; this is the shape the rules recognise by default).
 */
export function journalWrapped(original: Buffer, envelope: { sender: string; recipients: string[]; reportId: string }): Buffer {
  const boundary = `=_journal_${createHash('sha256').update(original).digest('hex').slice(0, 24)}`;
  const envelopeText = [`Sender: ${envelope.sender}`, `Message-Id: ${envelope.reportId}`, ...envelope.recipients.map((r) => `To: ${r}`)].join(CRLF);
  return Buffer.concat([
    Buffer.from(
      headerLines([
        ['From', ['journal@capture.telemessage.invalid']],
        ['To', ['mobile-journal@contoso.example']],
        ['Date', [rfc5322Date(new Date())]],
        ['Subject', ['Journal', 'report']],
        ['Message-ID', [envelope.reportId]],
        ['X-MS-Journal-Report', []],
        ['MIME-Version', ['1.0']],
      ]) +
        `Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}` +
        `--${boundary}${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}${envelopeText}${CRLF}` +
        `--${boundary}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}`,
    ),
    original,
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`),
  ]);
}

/** The day's per-message EMLs. */
export function vendorEmails(o: VendorEmailOptions): Buffer[] {
  const r = new Random(o.seed);
  return Array.from({ length: o.count }, (_, i) => perMessageEml(r, new Date(o.day.getTime() + (i + 1) * ((86_400_000 - 60_000) / (o.count + 1))), i));
}

/** `YYYYMMDD0000-TeleMessage_<file#>_<TimeZipped>.zip`: the documented name (TimeZipped's format is not; HHmmss here). */
export function zipName(day: Date, fileNumber: number, zippedAt: Date): string {
  const ymd = day.toISOString().slice(0, 10).replace(/-/g, '');
  return `${ymd}0000-TeleMessage_${fileNumber}_${zippedAt.toISOString().slice(11, 19).replace(/:/g, '')}.zip`;
}

export interface ZipEntrySpec {
  name: string;
  content: Buffer;
  /** Stored without compression (a zip bomb is built from compressible bytes instead). */
  store?: boolean;
}

/**
 * A ZIP of the given entries, names as given, even unsafe ones the fault tests need ("../x.eml"):
 * yazl refuses to write those, so they are written under a stand-in of the same length and the
 * name bytes replaced afterwards (local headers and central directory alike).
 */
export async function zipOf(entries: ZipEntrySpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const renames: [Buffer, Buffer][] = [];
  entries.forEach((e, i) => {
    let name = e.name;
    if (name.startsWith('/') || name.split('/').includes('..') || name.includes('\\')) {
      name = `${String(i).padStart(3, '0')}${'_'.repeat(Math.max(0, Buffer.byteLength(e.name) - 3))}`.slice(0, Buffer.byteLength(e.name));
      renames.push([Buffer.from(name), Buffer.from(e.name)]);
    }
    zip.addBuffer(e.content, name, { compress: !e.store, mtime: new Date('2026-01-01T00:00:00Z') });
  });
  zip.end();
  const out = await buffer(zip.outputStream);
  for (const [from, to] of renames) {
    for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + to.length)) to.copy(out, at);
  }
  return out;
}

/** A delivery as the vendor documents it: the EMLs and a manifest whose Count: and names match. */
export async function deliveryZip(emls: Buffer[], options: { manifestName?: string } = {}): Promise<Buffer> {
  const names = emls.map((e) => `${createHash('sha256').update(e).digest('hex').slice(0, 16)}.eml`);
  const manifest = `Count: ${emls.length}\r\n${names.join('\r\n')}\r\n`;
  return zipOf([...emls.map((content, i) => ({ name: names[i], content })), { name: options.manifestName ?? 'manifest.mf', content: Buffer.from(manifest) }]);
}
