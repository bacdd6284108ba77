/**
 * The archiver products we can connect to, as data. A product names the mailbox folder its items
 * land in (unless a connector overrides it; the names follow the vendor's Microsoft 365 connectors
 * so reviewers find items where they already look) and maps each raw item type to a rendering
 * kind and a label. Adding a product is an entry here, not new code.
 */

/** How an item type is rendered (shared/converting/compose.ts decides the message per kind). */
export type ItemKind = 'message' | 'media' | 'call' | 'recording' | 'voicemail' | 'file' | 'deleted';

export interface ItemTypeDefinition {
  kind: ItemKind;
  /** Names the type in subjects and bodies, e.g. "Missed call" builds on "Call". */
  label: string;
  /** The label starts with a brand ("WhatsApp call"), which keeps its capitals mid-sentence. */
  brand?: true;
}

/** The label as it reads after a word: "Missed call", "Missed WhatsApp call", "Missed SMS". */
export function labelInSentence(type: ItemTypeDefinition): string {
  if (type.brand || /^[A-Z]{2}/.test(type.label)) return type.label;
  return type.label.charAt(0).toLowerCase() + type.label.slice(1);
}

export interface ProductDefinition {
  /** Stable id used in app settings (CONNECTOR__<ID>__PRODUCT) and in raw items. */
  id: string;
  displayName: string;
  defaultFolderName: string;
  itemTypes: Readonly<Record<string, ItemTypeDefinition>>;
}

const carrier = (label: string, mms: boolean): Record<string, ItemTypeDefinition> => ({
  sms: { kind: 'message', label: `${label}SMS` },
  ...(mms ? { mms: { kind: 'media', label: `${label}MMS` } } : {}),
});

const calls: Record<string, ItemTypeDefinition> = {
  'voice-call-log': { kind: 'call', label: 'Call' },
  'voice-call-recording': { kind: 'recording', label: 'Call recording' },
};

const messenger = (app: string, prefix: string): Record<string, ItemTypeDefinition> => ({
  [`${prefix}-message`]: { kind: 'message', label: `${app} message`, brand: true },
  [`${prefix}-call`]: { kind: 'call', label: `${app} call`, brand: true },
  [`${prefix}-file`]: { kind: 'file', label: `${app} file`, brand: true },
  [`${prefix}-deleted-message`]: { kind: 'deleted', label: `${app} deleted message`, brand: true },
});

export const products = [
  {
    id: 'enterprise-number',
    displayName: 'Enterprise Number Archiver',
    defaultFolderName: 'Enterprise Number Archiver',
    itemTypes: {
      ...carrier('', true),
      chat: { kind: 'message', label: 'Chat message' },
      ...calls,
      voicemail: { kind: 'voicemail', label: 'Voicemail' },
    },
  },
  {
    id: 'o2-network',
    displayName: 'O2 Network Archiver',
    defaultFolderName: 'O2 SMS and Voice Network Archiver',
    itemTypes: { ...carrier('', false), ...calls },
  },
  {
    id: 'whatsapp',
    displayName: 'WhatsApp Archiver',
    defaultFolderName: 'WhatsApp Archiver',
    itemTypes: messenger('WhatsApp', 'whatsapp'),
  },
  {
    id: 'android',
    displayName: 'Android Archiver',
    defaultFolderName: 'Android Archiver',
    itemTypes: { ...carrier('', true), ...calls },
  },
  { id: 'att-network', displayName: 'AT&T Network Archiver', defaultFolderName: 'AT&T SMS/MMS Network Archiver', itemTypes: carrier('', true) },
  { id: 'bell-network', displayName: 'Bell Network Archiver', defaultFolderName: 'Bell SMS/MMS Network Archiver', itemTypes: carrier('', true) },
  { id: 'rogers-network', displayName: 'Rogers Network Archiver', defaultFolderName: 'Rogers SMS/MMS Network Archiver', itemTypes: carrier('', true) },
  { id: 'signal', displayName: 'Signal Archiver', defaultFolderName: 'Signal Archiver', itemTypes: messenger('Signal', 'signal') },
  { id: 'telegram', displayName: 'Telegram Archiver', defaultFolderName: 'Telegram Archiver', itemTypes: messenger('Telegram', 'telegram') },
  { id: 'telus-network', displayName: 'TELUS Network Archiver', defaultFolderName: 'TELUS SMS Network Archiver', itemTypes: carrier('', false) },
  { id: 'verizon-network', displayName: 'Verizon Network Archiver', defaultFolderName: 'Verizon SMS/MMS Network Archiver', itemTypes: carrier('', true) },
  { id: 'wechat', displayName: 'WeChat Archiver', defaultFolderName: 'WeChat Archiver', itemTypes: messenger('WeChat', 'wechat') },
] as const satisfies readonly ProductDefinition[];

export type ProductId = (typeof products)[number]['id'];

export const productIds = products.map((p) => p.id) as [ProductId, ...ProductId[]];

export function productById(id: ProductId): ProductDefinition;
export function productById(id: string): ProductDefinition | undefined;
export function productById(id: string): ProductDefinition | undefined {
  return products.find((p) => p.id === id);
}
