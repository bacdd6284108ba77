/**
 * Whose item it is. The archiver captures an item on one archived line and gives its direction
 * relative to that line, but the same message is imported into the mailbox of every mapped
 * participant, so the message must name the line and say the direction against it; "inbound" alone
 * would be wrong in the sender's own copy. The line is the item's `archivedLine`; an archiver that
 * leaves it out still tells it for outbound items (the sender) and for inbound direct ones (the one
 * recipient); an inbound group item without it has no named line.
 */
import type { Participant, RawItem } from '../items/raw-item';
import { senderIndex } from '../items/message-contract';

export type Direction = 'inbound' | 'outbound';

export interface Perspective {
  sender: Participant;
  /** Everyone else, in the archiver's order. */
  recipients: Participant[];
  group: boolean;
  archivedLine: Participant | null;
  direction: Direction | null;
}

export function perspectiveOf(item: RawItem): Perspective {
  // readRawItem puts the sender among the participants.
  const senderAt = senderIndex(
    item.participants.map((p) => p.number),
    item.from,
  );
  const sender = item.participants[senderAt];
  const recipients = item.participants.filter((_, i) => i !== senderAt);
  const group = item.conversation?.kind === 'group' || recipients.length > 1;
  let archivedLine: Participant | null = null;
  if (item.archivedLine !== null)
    archivedLine = item.archivedLine === sender.number ? sender : (recipients.find((p) => p.number === item.archivedLine) ?? null);
  else if (item.direction === 'outbound') archivedLine = sender;
  else if (item.direction === 'inbound' && recipients.length === 1) archivedLine = recipients[0];
  const direction = item.direction ?? (archivedLine ? (archivedLine === sender ? 'outbound' : 'inbound') : null);
  return { sender, recipients, group, archivedLine, direction };
}
