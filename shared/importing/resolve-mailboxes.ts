/**
 * Who gets a copy. Per participant: the custom mapping (if on) at the item's own time, then the
 * email the archiver gives for registered users (if automatic mapping is on). An address counts only
 * when Graph confirms a user (by address, UPN or alias) with an Exchange Online mailbox the app may
 * write to; every participant that maps to none is reported with the reasons. A look-up that fails
 * (Graph down for one mailbox) holds back only that participant.
 */
import type { CountryCode } from 'libphonenumber-js';
import type { ConnectorSettings } from '../config/connector-settings';
import type { MessageParticipant } from '../items/message-contract';
import type { MailboxApi } from '../graph/mailbox-api';
import type { MappingStore } from '../mapping/mapping-store';
import { toE164 } from '../mapping/phone';
import type { GraphCache } from './graph-cache';

export interface TargetMailbox {
  userId: string;
  upn: string;
  address: string;
  via: 'custom' | 'email';
  numbers: string[];
}

export interface Resolution {
  mailboxes: TargetMailbox[];
  unmapped: { number: string; reason: string }[];
  /**
   * Participants whose look-up failed for a reason a retry may cure (the others' copies go ahead),
   * with the mailbox address being checked when it got that far.
   */
  unresolved: { number: string; address?: string; error: unknown }[];
}

export interface ResolveDeps {
  mapping: MappingStore;
  cache: GraphCache;
  api: MailboxApi;
  defaultRegion: CountryCode;
}

export async function resolveMailboxes(
  participants: readonly MessageParticipant[],
  at: Date,
  connector: ConnectorSettings,
  deps: ResolveDeps,
): Promise<Resolution> {
  const byUser = new Map<string, TargetMailbox>();
  const unmapped: Resolution['unmapped'] = [];
  const unresolved: Resolution['unresolved'] = [];
  let checking: string | undefined;
  const confirm = (address: string) => {
    checking = address;
    return deps.cache.mailbox(address, () => deps.api.checkMailbox(address));
  };

  for (const p of participants) {
    // A participant the vendor names only by address is reported and keyed by that address.
    const number = p.number === null ? (p.email ?? '') : (toE164(p.number, deps.defaultRegion) ?? p.number);
    const reasons: string[] = [];
    let target: TargetMailbox | undefined;
    checking = undefined;
    try {
      if (connector.customMapping && p.number === null) reasons.push('no phone number to look up in the custom mapping');
      else if (connector.customMapping) {
        const mapped = await deps.mapping.lookup(connector.id, number, at);
        if (!mapped) reasons.push("not in the custom mapping at the item's time");
        else {
          const check = await confirm(mapped);
          if (check.status === 'mailbox') target = { userId: check.userId, upn: check.upn, address: mapped, via: 'custom', numbers: [number] };
          else reasons.push(`custom mapping: ${check.reason}`);
        }
      }
      if (!target && connector.autoMapping) {
        if (!p.email) reasons.push('the archiver gives no email address');
        else {
          const check = await confirm(p.email);
          if (check.status === 'mailbox') target = { userId: check.userId, upn: check.upn, address: p.email, via: 'email', numbers: [number] };
          else reasons.push(`email: ${check.reason}`);
        }
      }
    } catch (error) {
      unresolved.push({ number, address: checking, error });
      continue;
    }
    if (!connector.customMapping && !connector.autoMapping) reasons.push('both custom and automatic mapping are off');
    if (!target) {
      unmapped.push({ number, reason: reasons.join('; ') });
      continue;
    }
    const existing = byUser.get(target.userId);
    if (existing) existing.numbers.push(number);
    else byUser.set(target.userId, target);
  }
  return { mailboxes: [...byUser.values()], unmapped, unresolved };
}
