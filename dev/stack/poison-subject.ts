/**
 * What a poisoned queue message is about, for the terminal and the run report: "connector X, item Y"
 * for the app's jobs, the blob for the blob trigger's, or the start of its text when it is not ours.
 */
export function describePoison(text: string): { connectorId?: string; text: string } {
  let decoded = text;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    const m = JSON.parse(decoded) as { connectorId?: unknown; itemId?: unknown; runId?: unknown; blobName?: unknown; BlobName?: unknown; part?: unknown };
    const blob = typeof m.blobName === 'string' ? m.blobName : typeof m.BlobName === 'string' ? m.BlobName : undefined;
    if (typeof m.connectorId === 'string') {
      const what = typeof m.itemId === 'string' ? `item ${m.itemId}` : `run ${String(m.runId)} part ${typeof m.part === 'number' ? m.part : 0}`;
      return { connectorId: m.connectorId, text: `connector ${m.connectorId}, ${what}` };
    }
    if (blob) return { connectorId: blob.split('/')[0], text: `connector ${blob.split('/')[0]}, blob ${blob}` };
  } catch {
    // not JSON: shown as text
  }
  return { text: `unreadable message: ${JSON.stringify(decoded.slice(0, 80))}` };
}
