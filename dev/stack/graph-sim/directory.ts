/**
 * The simulated tenant's directory: the same company as the archiver simulator, with the cases
 * mapping must handle: users with an Exchange Online mailbox (each also reachable by an alias in
 * proxyAddresses), a user without one (its mailbox calls answer MailboxNotEnabledForRESTAPI), a
 * guest, and a mail user (a directory user whose mail is delivered elsewhere: its mailbox calls
 * answer ErrorNonExistentMailbox). Any other address, a distribution list such as
 * rates-desk@contoso.example included, is no user at all.
 */
import { createHash } from 'node:crypto';
import { employees } from '../archiver-sim/directory';

export interface DirectoryUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  userType: 'Member' | 'Guest';
  /** False: the user exists but has no Exchange Online mailbox (unlicensed, on-premises, guest, mail user). */
  hasMailbox: boolean;
  /** What Exchange answers on this user's mailbox calls when it has none. */
  noMailboxCode?: 'MailboxNotEnabledForRESTAPI' | 'ErrorNonExistentMailbox';
  /** Exchange addresses, "SMTP:" for the primary and "smtp:" for aliases (Entra's proxyAddresses). */
  proxyAddresses: string[];
}

/** The alias every seeded member also has: first initial and surname, e.g. o.bennett@contoso.example. */
export function aliasOf(mail: string): string {
  const [local, domain] = mail.split('@');
  const [first, ...rest] = local.split('.');
  return rest.length > 0 ? `${first[0]}.${rest.join('.')}@${domain}` : `${local}.alias@${domain}`;
}

const idOf = (upn: string) => {
  const h = createHash('sha256').update(upn).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The journal mailbox of the sample smtp-mailbox connector. */
export const JOURNAL_MAILBOX = 'mobile-journal@contoso.example';

export function seededDirectory(): DirectoryUser[] {
  const users: DirectoryUser[] = employees
    .filter((e) => e.email)
    .map((e) => {
      const mail = e.email!;
      const upn = mail.replace('@contoso.example', '@contoso.onmicrosoft.example');
      return {
        id: idOf(upn),
        displayName: e.name,
        userPrincipalName: upn,
        mail,
        userType: 'Member' as const,
        hasMailbox: mail !== 'sam.contractor@contoso.example',
        proxyAddresses: [`SMTP:${mail}`, `smtp:${aliasOf(mail)}`, `smtp:${upn}`],
      };
    });
  // A shared mailbox whose address has a "+": it must survive the query string.
  const deskUpn = 'markets+desk@contoso.onmicrosoft.example';
  users.push({
    id: idOf(deskUpn),
    displayName: 'Markets desk',
    userPrincipalName: deskUpn,
    mail: 'markets+desk@contoso.example',
    userType: 'Member',
    hasMailbox: true,
    proxyAddresses: ['SMTP:markets+desk@contoso.example', `smtp:${deskUpn}`],
  });
  // A mail user: in the directory with an outside address, its mail goes elsewhere.
  const mailUserUpn = 'auditor@contoso.onmicrosoft.example';
  users.push({
    id: idOf(mailUserUpn),
    displayName: 'External auditor (mail user)',
    userPrincipalName: mailUserUpn,
    mail: 'auditor@northwind-audit.example',
    userType: 'Member',
    hasMailbox: false,
    noMailboxCode: 'ErrorNonExistentMailbox',
    proxyAddresses: ['SMTP:auditor@northwind-audit.example'],
  });
  // The mailbox the archiver vendor delivers to by SMTP (smtp-mailbox connectors read it).
  const journalUpn = 'mobile-journal@contoso.onmicrosoft.example';
  users.push({
    id: idOf(journalUpn),
    displayName: 'Mobile archive journal',
    userPrincipalName: journalUpn,
    mail: JOURNAL_MAILBOX,
    userType: 'Member',
    hasMailbox: true,
    proxyAddresses: [`SMTP:${JOURNAL_MAILBOX}`, `smtp:${journalUpn}`],
  });
  const guestUpn = 'partner_fabrikam.example#EXT#@contoso.onmicrosoft.example';
  users.push({
    id: idOf(guestUpn),
    displayName: 'Partner (Fabrikam)',
    userPrincipalName: guestUpn,
    mail: 'partner@fabrikam.example',
    userType: 'Guest',
    hasMailbox: false,
    proxyAddresses: [],
  });
  return users;
}
