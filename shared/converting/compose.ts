/**
 * Decides the message for one item: who it is from and to, its subject, threading, audit headers,
 * readable bodies and attachments. Nothing here writes bytes (shared/mime/ does); the scheme is
 * documented in docs/message-format.md.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../text/html';
import type { ValidItem, Participant, RawAttachment } from '../items/raw-item';
import { encodePathSegment, rawAttachmentPath } from '../items/paths';
import { percentEncode } from '../text/percent-encode';
import { labelInSentence } from '../catalogue/products';
import type { Address, MessagePlan, PlannedAttachment } from '../mime/message-plan';
import { AUDIT_HEADERS, SYNTHETIC_DOMAIN, syntheticAddress } from '../items/message-contract';
import { formatDuration, formatSize, formatTime, isolatedText, joinRich, participantLabel, plain, type Rich } from './labels';
import { perspectiveOf } from './perspective';

export interface ComposeContext {
  connectorId: string;
  rawBlobPath: string;
  rawSha256: string;
}

/** A participant without an email gets a synthetic address (items/message-contract.ts). */
function addressOf(p: Participant, connectorId: string): Address {
  return { name: participantLabel(p).text, address: p.email ?? syntheticAddress(p.number, connectorId), number: p.number };
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest();

export function messageIdOf(connectorId: string, itemId: string): string {
  return `<${encodePathSegment(itemId)}.${connectorId}@${SYNTHETIC_DOMAIN}>`;
}

/**
 * Outlook groups a conversation by Thread-Index: 22 bytes (a reserved byte, 5 bytes of FILETIME,
 * a 16-byte GUID) shared by the conversation, plus a 5-byte block per message.
 * https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxomsg/9e994fbb-b839-495f-84e3-2c8c02c7dd9b
 */
function threadIndexOf(connectorId: string, conversationId: string, itemId: string): string {
  const conv = hash('conversation', connectorId, conversationId);
  const header = Buffer.concat([Buffer.from([0x01]), conv.subarray(0, 5), conv.subarray(5, 21)]);
  const child = hash('item', connectorId, itemId).subarray(0, 5);
  return Buffer.concat([header, child]).toString('base64');
}

const SAFE_CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;

/**
 * Text from the source as HTML, one element per line with its own direction (`dir="auto"`), as a
 * plain-text reader treats each line as a paragraph (UAX #9 P1): an Arabic line reads right to left
 * without turning the Chinese line under it around.
 */
function paragraphs(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => (line === '' ? '<div><br></div>' : `<div dir="auto">${escapeHtml(line)}</div>`))
    .join('');
}

export function composeMessage(valid: ValidItem, ctx: ComposeContext): MessagePlan {
  const { item, product, itemType, timestamp } = valid;
  const { connectorId } = ctx;
  const view = perspectiveOf(item);
  const { sender, recipients, group } = view;
  const byNumber = new Map(item.participants.map((p) => [p.number, p]));
  const from = addressOf(sender, connectorId);
  const to = recipients.map((p) => addressOf(p, connectorId));

  const conversationId = item.conversation?.id ?? `direct:${[...item.participants.map((p) => p.number)].sort().join(',')}`;
  const groupLabel = isolatedText(item.conversation?.name?.trim() || `group of ${item.participants.length}`);
  const fromLabel = participantLabel(sender);
  const toLabel = joinRich(recipients.map(participantLabel), ', ');
  // Both sides named ("from A to B", "from A in Group"): the same message goes to every mapped
  // participant, so a subject must never present the mailbox's owner as the other party.
  const fromTo = group
    ? joinRich([plain('from'), fromLabel, plain('in'), groupLabel], ' ')
    : joinRich([plain('from'), fromLabel, ...(recipients.length > 0 ? [plain('to'), toLabel] : [])], ' ');

  // Attachments: every one the item lists, images of picture messages shown inline.
  const attachments: PlannedAttachment[] = item.attachments.map((a: RawAttachment, i) => {
    const contentType = a.contentType && SAFE_CONTENT_TYPE.test(a.contentType) ? a.contentType.toLowerCase() : 'application/octet-stream';
    const inline = (itemType.kind === 'media' || itemType.kind === 'message') && contentType.startsWith('image/');
    return {
      blobPath: rawAttachmentPath(connectorId, item.id, timestamp, a.id),
      filename: a.name || `attachment-${i + 1}`,
      contentType,
      size: a.size,
      sha256: a.sha256,
      inline,
      contentId: inline ? `att${i + 1}.${encodePathSegment(item.id)}@${SYNTHETIC_DOMAIN}` : undefined,
    };
  });
  const filenameOf = (a: RawAttachment) => attachments[item.attachments.indexOf(a)].filename;

  const call = item.call;
  const callLike = itemType.kind === 'call' || itemType.kind === 'recording' || itemType.kind === 'voicemail';
  // The recording of a call or the message of a voicemail: named by the call, else the first audio.
  const recording =
    item.attachments.find((a) => call?.recordingAttachmentId && a.id === call.recordingAttachmentId) ??
    (itemType.kind === 'recording' || itemType.kind === 'voicemail'
      ? (item.attachments.find((a) => /^(audio|video)\//i.test(a.contentType ?? '')) ?? item.attachments[0])
      : undefined);
  const callSeconds = call ? (call.durationSeconds ?? (call.end ? (Date.parse(call.end) - Date.parse(call.start)) / 1000 : null)) : null;
  // A voicemail's call was never answered (0 s): its length is the recording's.
  const length = itemType.kind === 'voicemail' ? (recording?.durationSeconds ?? null) : (callSeconds ?? recording?.durationSeconds ?? null);
  const withLength = length !== null ? `, ${formatDuration(length)}` : '';

  // "<label> from A to B<tail>": a missed or rejected call says so first; an answered call, a
  // recording and a voicemail end with their length, a file with its name.
  const unanswered = itemType.kind === 'call' && (call?.outcome === 'missed' || call?.outcome === 'rejected');
  const head = unanswered ? `${call?.outcome === 'missed' ? 'Missed' : 'Rejected'} ${labelInSentence(itemType)}` : itemType.label;
  const timed = (itemType.kind === 'call' && call?.outcome === 'answered') || itemType.kind === 'recording' || itemType.kind === 'voicemail';
  const tail = timed ? withLength : itemType.kind === 'file' && attachments[0] ? `: ${attachments[0].filename}` : '';
  const subject = joinRich([joinRich([plain(head), fromTo], ' '), plain(tail)], '');

  // Who deleted the message: a participant's label, else the number the archiver gave.
  const deleter = item.deleted?.deletedBy ?? null;
  const deletedBy = deleter === null ? null : byNumber.has(deleter) ? participantLabel(byNumber.get(deleter)!) : plain(deleter);

  // What a reviewer reads first (and what Outlook's preview shows): the message, or the call.
  let lead: Rich;
  if (item.deleted) {
    const kept = item.deleted.originalText !== null ? `Original text:\n${item.deleted.originalText}` : 'The archiver did not keep the original text.';
    const shown = item.text !== null ? `\n\nText as archived:\n${item.text}` : '';
    const statement = joinRich(
      [plain('DELETED MESSAGE: deleted by'), deletedBy ?? plain('an unknown participant'), plain(`at ${formatTime(item.deleted.deletedAt)}.`)],
      ' ',
    );
    const body = `${kept}${shown}`;
    lead = { text: `${statement.text}\n\n${body}`, html: `<div>${statement.html}</div><div><br></div>${paragraphs(body)}` };
  } else if (item.text !== null) {
    lead = { text: item.text, html: paragraphs(item.text) };
  } else if (callLike) {
    const at = plain(`at ${formatTime(call?.start ?? timestamp)}.`);
    const attached = recording ? plain(`\nThe recording is attached: ${filenameOf(recording)}`) : plain('');
    lead = joinRich([joinRich([subject, at], ' '), attached], '');
  } else if (attachments.length > 0) {
    lead = plain(`${attachments.length === 1 ? 'Attachment' : 'Attachments'}: ${attachments.map((a) => a.filename).join(', ')}`);
  } else {
    lead = plain('The archiver recorded no text for this item.');
  }

  const placed = callLike ? 'placed' : 'sent';
  const facts: [string, Rich][] = [
    ['Type', plain(`${itemType.label} (${product.displayName})`)],
    ['Archived line', view.archivedLine ? participantLabel(view.archivedLine) : plain('not named by the archiver')],
    [
      'Direction',
      plain(
        view.direction === null
          ? 'not stated by the archiver'
          : view.direction === 'outbound'
            ? `outbound (${placed} by the archived line)`
            : 'inbound (received by the archived line)',
      ),
    ],
    ['Conversation', group ? joinRich([groupLabel, plain(`(group of ${item.participants.length})`)], ' ') : plain('direct')],
    ['From', fromLabel],
    ['To', recipients.length > 0 ? toLabel : plain('-')],
    [callLike ? 'Time' : 'Sent', plain(formatTime(timestamp))],
    ['Item ID', plain(item.id)],
  ];

  const sections: { title: string; lines: [string, Rich][]; text?: string }[] = [];
  if (call) {
    const lines: [string, Rich][] = [
      ['Start', plain(formatTime(call.start))],
      ['End', plain(call.end ? formatTime(call.end) : '-')],
      [
        'Duration',
        plain(call.outcome === 'answered' && callSeconds !== null ? formatDuration(callSeconds) : call.outcome === 'answered' ? '-' : 'not connected'),
      ],
      ['Outcome', plain(call.outcome)],
    ];
    if (recording) {
      lines.push([itemType.kind === 'voicemail' ? 'Voicemail' : 'Recording', plain(filenameOf(recording))]);
      lines.push([
        itemType.kind === 'voicemail' ? 'Voicemail length' : 'Recording length',
        plain(recording.durationSeconds !== null ? formatDuration(recording.durationSeconds) : 'not stated by the archiver'),
      ]);
    }
    sections.push({ title: itemType.kind === 'voicemail' ? 'Call (voicemail left)' : 'Call', lines });
  }
  if (item.deleted) {
    sections.push({
      title: 'DELETED MESSAGE',
      lines: [
        ['Deleted at', plain(formatTime(item.deleted.deletedAt))],
        ['Deleted by', deletedBy ?? plain('unknown')],
        ['Original text', plain(item.deleted.originalText !== null ? 'shown above' : 'not kept by the archiver')],
      ],
    });
  }
  if (item.edited) {
    sections.push({
      title: 'EDITED MESSAGE',
      lines: [['Edited at', plain(formatTime(item.edited.editedAt))]],
      text: item.edited.previousText !== null ? `Text before the edit:\n${item.edited.previousText}` : 'The archiver did not keep the text before the edit.',
    });
  }
  if (attachments.length > 0) {
    sections.push({
      title: 'Attachments',
      lines: attachments.map((a) => [a.filename, plain(`${a.contentType}, ${formatSize(a.size)}, SHA-256 ${a.sha256}`)]),
    });
  }

  const textBody = [
    lead.text,
    '',
    ...facts.map(([k, v]) => `${k}: ${v.text}`),
    '',
    ...sections.flatMap((s) => [`--- ${s.title} ---`, ...s.lines.map(([k, v]) => `${k}: ${v.text}`), ...(s.text ? [s.text] : []), '']),
  ].join('\n');

  const table = (rows: [string, Rich][]) =>
    `<table style="border-collapse:collapse">${rows.map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(k)}</th><td style="padding:2px 0">${v.html}</td></tr>`).join('')}</table>`;
  const html = [
    '<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8"></head><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px">',
    `<div style="white-space:pre-wrap;margin:0 0 12px;padding:8px;border-left:3px solid #888">${lead.html}</div>`,
    ...attachments.filter((a) => a.inline).map((a) => `<p><img src="cid:${a.contentId}" alt="${escapeHtml(a.filename)}" style="max-width:480px"></p>`),
    table(facts),
    ...sections.map(
      (s) =>
        `<h3 style="margin:12px 0 4px">${escapeHtml(s.title)}</h3>${table(s.lines)}${s.text ? `<div style="white-space:pre-wrap;margin:8px 0">${paragraphs(s.text)}</div>` : ''}`,
    ),
    '</body></html>',
  ].join('\n');

  const enc = (v: string) => percentEncode(v);
  const H = AUDIT_HEADERS;
  const auditHeaders: [string, string][] = [
    [H.connector, connectorId],
    [H.product, product.id],
    [H.itemType, item.type],
    [H.itemId, enc(item.id)],
    [H.timestamp, timestamp.toISOString()],
    [H.direction, view.direction ?? 'unknown'],
    [H.archivedLine, view.archivedLine?.number ?? 'unknown'],
    [H.sender, sender.number],
    [H.participants, item.participants.map((p) => p.number).join(', ')],
    [H.conversationId, enc(conversationId)],
    [H.rawBlob, ctx.rawBlobPath],
    [H.rawSha256, ctx.rawSha256],
  ];

  // A direct conversation's topic names both sides in a fixed order, so both directions thread together.
  const bothSides = [...item.participants].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0)).map((p) => participantLabel(p).text);
  return {
    date: timestamp,
    messageId: messageIdOf(connectorId, item.id),
    subject: subject.text,
    from,
    to,
    threadTopic: group ? groupLabel.text : `${itemType.label.split(' ')[0]} ${bothSides.join(' and ')}`,
    threadIndex: threadIndexOf(connectorId, conversationId, item.id),
    references: `<conv-${hash('conversation', connectorId, conversationId).subarray(0, 12).toString('hex')}.${connectorId}@${SYNTHETIC_DOMAIN}>`,
    auditHeaders,
    text: textBody,
    html,
    attachments,
  };
}
