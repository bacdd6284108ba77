/**
 * The vendor's ZIP manifest check, as the vendor states it (docs/sources.md, S1): one `.mf` file whose
 * `Count:` equals the number of EML files, whose listed names all exist in the ZIP under exactly
 * that name, none of them empty. The manifest's full layout is not public, so it is read defensively:
 * the `Count:` line (case-sensitive), and every other non-empty line ending in `.eml` as a listed file.
 */
import type { ZipEntryInfo } from '../zip/zip-reader';
import { NamedError } from '../text/named-outcome';

export type ManifestProblem =
  | 'manifest-missing'
  | 'manifest-ambiguous'
  | 'manifest-count-missing'
  | 'manifest-count-mismatch'
  | 'manifest-file-missing'
  | 'manifest-duplicate'
  | 'zero-byte-eml'
  | 'non-eml-entry';

export class ManifestError extends NamedError<ManifestProblem> {}

/** Manifests list file names: a megabyte is thousands of times what one needs. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface ManifestCheck {
  manifest: ZipEntryInfo;
  /** The EML entries in manifest order, each with its line number in the manifest (1-based). */
  emls: { entry: ZipEntryInfo; line: number }[];
}

const isEml = (name: string) => /\.eml$/i.test(name);
const isManifest = (name: string) => /\.mf$/i.test(name);

/** Which entry is the manifest; every other file must be an EML. */
export function findManifest(entries: readonly ZipEntryInfo[]): ZipEntryInfo {
  const files = entries.filter((e) => !e.isDirectory);
  const manifests = files.filter((e) => isManifest(e.name));
  if (manifests.length === 0) throw new ManifestError('manifest-missing', 'the ZIP has no .mf manifest');
  if (manifests.length > 1)
    throw new ManifestError('manifest-ambiguous', `the ZIP has ${manifests.length} .mf files: ${manifests.map((m) => m.name).join(', ')}`);
  const other = files.find((e) => !isEml(e.name) && !isManifest(e.name));
  if (other) throw new ManifestError('non-eml-entry', `entry ${JSON.stringify(other.name)} is neither an EML file nor the manifest`);
  if (manifests[0].uncompressedSize > MAX_MANIFEST_BYTES)
    throw new ManifestError('manifest-ambiguous', `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  return manifests[0];
}

export function checkManifest(entries: readonly ZipEntryInfo[], manifest: ZipEntryInfo, text: string): ManifestCheck {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const counts = lines.map((l, i) => ({ m: /^Count:\s*(\d+)\s*$/.exec(l.trim()), line: i + 1 })).filter((c) => c.m !== null);
  if (counts.length !== 1) {
    throw new ManifestError(
      'manifest-count-missing',
      counts.length === 0 ? 'the manifest has no "Count:" line' : `the manifest has ${counts.length} "Count:" lines`,
    );
  }
  const count = Number(counts[0].m![1]);
  const emlEntries = entries.filter((e) => !e.isDirectory && isEml(e.name));
  if (count !== emlEntries.length) {
    throw new ManifestError('manifest-count-mismatch', `the manifest says Count: ${count}, the ZIP holds ${emlEntries.length} EML files`);
  }
  const byName = new Map(emlEntries.map((e) => [e.name, e]));
  const listed: ManifestCheck['emls'] = [];
  const seen = new Set<string>();
  lines.forEach((raw, i) => {
    const name = raw.trim();
    if (name === '' || !isEml(name) || i + 1 === counts[0].line) return;
    if (seen.has(name)) throw new ManifestError('manifest-duplicate', `the manifest lists ${JSON.stringify(name)} twice`);
    seen.add(name);
    const entry = byName.get(name);
    if (!entry) throw new ManifestError('manifest-file-missing', `the manifest lists ${JSON.stringify(name)} (line ${i + 1}), which is not in the ZIP`);
    if (entry.uncompressedSize === 0) throw new ManifestError('zero-byte-eml', `${JSON.stringify(name)} is empty`);
    listed.push({ entry, line: i + 1 });
  });
  if (listed.length !== count) {
    throw new ManifestError('manifest-count-mismatch', `the manifest says Count: ${count} but lists ${listed.length} EML files`);
  }
  return { manifest, emls: listed };
}
