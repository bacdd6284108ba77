/**
 * The archiver products we can connect to, as data. A product names the item types its archiver
 * delivers and the mailbox folder its items land in unless a connector overrides the folder.
 * Folder names follow the vendor's Microsoft 365 connectors so reviewers find items where they
 * already look.
 */

export interface ProductDefinition {
  /** Stable id used in app settings (CONNECTOR__<ID>__PRODUCT). */
  id: string;
  displayName: string;
  defaultFolderName: string;
  itemTypes: readonly string[];
}

export const products = [
  {
    id: 'enterprise-number',
    displayName: 'Enterprise Number Archiver',
    defaultFolderName: 'Enterprise Number Archiver',
    itemTypes: ['sms', 'mms', 'chat', 'voice-call-log', 'voice-call-recording', 'voicemail'],
  },
  {
    id: 'o2-network',
    displayName: 'O2 Network Archiver',
    defaultFolderName: 'O2 SMS and Voice Network Archiver',
    itemTypes: ['sms', 'voice-call-log', 'voice-call-recording'],
  },
  {
    id: 'whatsapp',
    displayName: 'WhatsApp Archiver',
    defaultFolderName: 'WhatsApp Archiver',
    itemTypes: [
      'whatsapp-message',
      'whatsapp-call',
      'whatsapp-file',
      'whatsapp-deleted-message',
    ],
  },
] as const satisfies readonly ProductDefinition[];

export type ProductId = (typeof products)[number]['id'];

export const productIds = products.map((p) => p.id) as [ProductId, ...ProductId[]];

export function productById(id: ProductId): ProductDefinition {
  const product = products.find((p) => p.id === id);
  if (!product) throw new Error(`Unknown product "${id}"`);
  return product;
}
