/**
 * Copies the converted messages out of the `mime` container into a folder, keeping the
 * connector/date folders. A blob name is data from storage, not a path: a name that would write
 * outside the target (`..`, an absolute or drive path, a backslash, a control character) is skipped
 * and reported, and so is a blob that fails to download; the rest are exported.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** What export needs of a container (a ContainerClient has it). */
export interface MessageContainer {
  listBlobsFlat(): AsyncIterable<{ name: string }>;
  getBlobClient(name: string): { download(): Promise<{ readableStreamBody?: NodeJS.ReadableStream }> };
}

export interface ExportResult {
  exported: number;
  skipped: { name: string; reason: string }[];
}

/** The file a blob name becomes inside `target`, or why it cannot be written there. */
export function exportPath(target: string, blobName: string): { file: string } | { refused: string } {
  const segments = blobName.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || /[\\:\u0000-\u001f\u007f]/.test(s))) {
    return { refused: 'the name has an empty, "." or ".." segment, a backslash, a colon or a control character' };
  }
  const root = resolve(target);
  const file = join(root, ...segments);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return { refused: 'the name points outside the export folder' };
  return { file };
}

export async function exportMessages(container: MessageContainer, target: string): Promise<ExportResult> {
  const result: ExportResult = { exported: 0, skipped: [] };
  for await (const blob of container.listBlobsFlat()) {
    const path = exportPath(target, blob.name);
    if ('refused' in path) {
      result.skipped.push({ name: blob.name, reason: path.refused });
      continue;
    }
    try {
      mkdirSync(dirname(path.file), { recursive: true });
      const download = await container.getBlobClient(blob.name).download();
      if (!download.readableStreamBody) throw new Error('the download has no body');
      await pipeline(download.readableStreamBody, createWriteStream(path.file));
      result.exported++;
    } catch (err) {
      result.skipped.push({ name: blob.name, reason: (err as Error).message });
    }
  }
  return result;
}
