/**
 * What the renderer takes: one message, decided in full (addresses, subject, threading, audit
 * headers, bodies, attachments as blob references). The converter composes it (converting/compose.ts);
 * nothing here knows what a raw item is.
 */
export interface Address {
  name: string;
  address: string;
  number: string;
}

export interface PlannedAttachment {
  /** Path in the raw-attachments container. */
  blobPath: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
  contentId?: string;
}

export interface MessagePlan {
  date: Date;
  messageId: string;
  subject: string;
  from: Address;
  to: Address[];
  threadTopic: string;
  threadIndex: string;
  references: string;
  /** Machine-readable audit headers, in order. */
  auditHeaders: [string, string][];
  text: string;
  html: string;
  attachments: PlannedAttachment[];
}
