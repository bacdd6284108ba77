/**
 * Decides the message for one item: who it is from and to, its subject, threading, audit headers,
 * readable bodies and attachments. Nothing here writes bytes (shared/mime/ does); the scheme is
 * documented in docs/message-format.md.
 */
import { escapeHtml } from '../text/html';
import { createHash } from 'node:crypto';
import type { ValidItem, Participant, RawAttachment } from '../items/raw-item';
import { encodePathSegment, rawAttachmentPath } from '../items/paths';
import { percentEncode } from '../text/percent-encode';
import type { Address, MessagePlan, PlannedAttachment } from '../mime/message-plan';
import { AUDIT_HEADERS, senderIndex, SYNTHETIC_DOMAIN, syntheticAddress } from '../items/message-contract';

export interface ComposeContext {
  connectorId: string;
  rawBlobPath: string;
  rawSha256: string;
}

/** A participant without an email gets a synthetic address (items/message-contract.ts). */
function addressOf(p: Participant, connectorId: string): Address {
  const label = p.name ? `${p.name} (${p.number})` : p.number;
  return { name: label, address: p.email ?? syntheticAddress(p.number, connectorId), number: p.number };
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

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m ${String(rest).padStart(2, '0')}s` : `${m}m ${String(rest).padStart(2, '0')}s`;
}

function formatTime(iso: string | Date): string {
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const SAFE_CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function composeMessage(valid: ValidItem, ctx: ComposeContext): MessagePlan {
  const { item, product, itemType, timestamp } = valid;
  const { connectorId } = ctx;
  const byNumber = new Map(item.participants.map((p) => [p.number, p]));
  // readRawItem puts the sender among the participants.
  const senderAt = senderIndex(
    item.participants.map((p) => p.number),
    item.from,
  );
  const sender = item.participants[senderAt];
  const others = item.participants.filter((_, i) => i !== senderAt);
  const from = addressOf(sender, connectorId);
  const to = others.map((p) => addressOf(p, connectorId));
  const label = (p: Participant) => addressOf(p, connectorId).name;

  const group = item.conversation?.kind === 'group' || others.length > 1;
  const conversationId = item.conversation?.id ?? `direct:${[...item.participants.map((p) => p.number)].sort().join(',')}`;
  // The other party of a direct conversation, seen from the archived user.
  const counterpart = item.direction === 'outbound' ? (others[0] ?? sender) : sender;
  const conversationLabel = group ? item.conversation?.name || `group of ${item.participants.length}` : label(counterpart);
  const where = group ? `in ${conversationLabel}` : `with ${conversationLabel}`;
  const toLabels = others.map(label).join(', ') || label(sender);

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

  const call = item.call;
  const duration = call ? (call.durationSeconds ?? (call.end ? (Date.parse(call.end) - Date.parse(call.start)) / 1000 : 0)) : 0;
  let subject: string;
  switch (itemType.kind) {
    case 'call':
      subject =
        call?.outcome === 'missed'
          ? `Missed ${lowerFirst(itemType.label)} from ${label(sender)}`
          : call?.outcome === 'rejected'
            ? `Rejected ${lowerFirst(itemType.label)} from ${label(sender)}`
            : `${itemType.label} from ${label(sender)} to ${toLabels}, ${formatDuration(duration)}`;
      break;
    case 'recording':
      subject = `${itemType.label}: ${label(sender)} to ${toLabels}${call ? `, ${formatDuration(duration)}` : ''}`;
      break;
    case 'voicemail':
      subject = `${itemType.label} from ${label(sender)}`;
      break;
    case 'file':
      subject = `${itemType.label} ${where}${attachments[0] ? `: ${attachments[0].filename}` : ''}`;
      break;
    default:
      subject = `${itemType.label} ${where}`;
  }

  // Readable bodies: the same facts as text and as HTML.
  const facts: [string, string][] = [
    ['Type', `${itemType.label} (${product.displayName})`],
    ['Conversation', group ? `${conversationLabel} (group)` : conversationLabel],
    ['From', label(sender)],
    ['To', toLabels],
    [itemType.kind === 'call' || itemType.kind === 'recording' || itemType.kind === 'voicemail' ? 'Time' : 'Sent', formatTime(timestamp)],
  ];
  if (item.direction) facts.push(['Direction', item.direction]);
  facts.push(['Item ID', item.id]);

  const sections: { title: string; lines: [string, string][]; text?: string }[] = [];
  if (call) {
    const lines: [string, string][] = [
      ['Direction', item.direction ?? 'unknown'],
      ['Start', formatTime(call.start)],
      ['End', call.end ? formatTime(call.end) : '-'],
      ['Duration', formatDuration(duration)],
      ['Outcome', call.outcome],
    ];
    const recording = item.attachments.find((a) => a.id === call.recordingAttachmentId);
    if (recording) lines.push(['Recording', recording.name ?? recording.id]);
    sections.push({ title: itemType.kind === 'voicemail' ? 'Call (voicemail left)' : 'Call', lines });
  }
  if (item.deleted) {
    const by = item.deleted.deletedBy ? byNumber.get(item.deleted.deletedBy) : undefined;
    sections.push({
      title: 'DELETED MESSAGE',
      lines: [
        ['Deleted at', formatTime(item.deleted.deletedAt)],
        ['Deleted by', by ? label(by) : (item.deleted.deletedBy ?? 'unknown')],
      ],
      text: item.deleted.originalText !== null ? `Original text:\n${item.deleted.originalText}` : 'The archiver did not keep the original text.',
    });
  }
  if (item.edited) {
    sections.push({
      title: 'EDITED MESSAGE',
      lines: [['Edited at', formatTime(item.edited.editedAt)]],
      text: item.edited.previousText !== null ? `Text before the edit:\n${item.edited.previousText}` : 'The archiver did not keep the text before the edit.',
    });
  }
  if (attachments.length > 0) {
    sections.push({
      title: 'Attachments',
      lines: attachments.map((a) => [a.filename, `${a.contentType}, ${formatSize(a.size)}, SHA-256 ${a.sha256}`]),
    });
  }

  const textBody = [
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    ...(item.text !== null ? [item.text, ''] : []),
    ...sections.flatMap((s) => [`--- ${s.title} ---`, ...s.lines.map(([k, v]) => `${k}: ${v}`), ...(s.text ? [s.text] : []), '']),
  ].join('\n');

  const table = (rows: [string, string][]) =>
    `<table style="border-collapse:collapse">${rows.map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(k)}</th><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`).join('')}</table>`;
  const html = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px">',
    table(facts),
    item.text !== null
      ? `<div dir="auto" style="white-space:pre-wrap;margin:12px 0;padding:8px;border-left:3px solid #888">${escapeHtml(item.text)}</div>`
      : '',
    ...attachments.filter((a) => a.inline).map((a) => `<p><img src="cid:${a.contentId}" alt="${escapeHtml(a.filename)}" style="max-width:480px"></p>`),
    ...sections.map(
      (s) =>
        `<h3 style="margin:12px 0 4px">${escapeHtml(s.title)}</h3>${table(s.lines)}${s.text ? `<div dir="auto" style="white-space:pre-wrap;margin:8px 0">${escapeHtml(s.text)}</div>` : ''}`,
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
    [H.direction, item.direction ?? 'unknown'],
    [H.sender, sender.number],
    [H.participants, item.participants.map((p) => p.number).join(', ')],
    [H.conversationId, enc(conversationId)],
    [H.rawBlob, ctx.rawBlobPath],
    [H.rawSha256, ctx.rawSha256],
  ];

  return {
    date: timestamp,
    messageId: messageIdOf(connectorId, item.id),
    subject,
    from,
    to,
    threadTopic: group ? conversationLabel : `${itemType.label.split(' ')[0]} ${conversationLabel}`,
    threadIndex: threadIndexOf(connectorId, conversationId, item.id),
    references: `<conv-${hash('conversation', connectorId, conversationId).subarray(0, 12).toString('hex')}.${connectorId}@${SYNTHETIC_DOMAIN}>`,
    auditHeaders,
    text: textBody,
    html,
    attachments,
  };
}
