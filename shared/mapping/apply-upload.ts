/**
 * Applies one custom mapping upload for a connector: validate the whole file, and only if every
 * row is good replace the connector's mapping (atomically). A rejected upload changes nothing.
 */
import type { CountryCode } from 'libphonenumber-js';
import { parseMappingCsv, type MappingProblem } from './mapping-csv';
import { MappingSupersededError, type MappingInfo, type MappingStore } from './mapping-store';

export type MappingUploadResult = { accepted: true; info: MappingInfo } | { accepted: false; problems: MappingProblem[] };

export async function applyMappingUpload(
  connectorId: string,
  csv: Buffer,
  source: string,
  deps: { mapping: MappingStore; defaultRegion: CountryCode },
): Promise<MappingUploadResult> {
  const parsed = parseMappingCsv(csv, deps.defaultRegion);
  if (!parsed.ok) return { accepted: false, problems: parsed.problems };
  try {
    return { accepted: true, info: await deps.mapping.replace(connectorId, parsed.rows, source) };
  } catch (err) {
    if (err instanceof MappingSupersededError) return { accepted: false, problems: [{ line: 0, problem: err.message }] };
    throw err;
  }
}

export function formatUploadResult(connectorId: string, result: MappingUploadResult): string {
  if (result.accepted) return `mapping for ${connectorId} replaced: ${result.info.rows} row(s), version ${result.info.version}`;
  return [`mapping upload for ${connectorId} rejected; the previous mapping stays:`, ...result.problems.map((p) => `  line ${p.line}: ${p.problem}`)].join(
    '\n',
  );
}
