/**
 * `mobile-archive status|runs|items|unmapped|failures|test-connection`: what the status page shows,
 * on the command line, read from storage through the same views (shared/admin/operator-view.ts).
 * `--json` prints the answer as JSON. Exit codes: 0 nothing needs attention, 1 something does
 * (a failed connector, failures, items waiting for a mapping, poison messages; a failed connection
 * test), 2 a wrong command line.
 */
import { tables } from '../../shared/storage/names';
import { RunStatusStore } from '../../shared/runs/run-status';
import { UnmappedStore } from '../../shared/importing/unmapped';
import { DeadLetterStore } from '../../shared/runs/dead-letters';
import { MappingStore } from '../../shared/mapping/mapping-store';
import { connectorStatuses, defaultSince, findItems, listFailures, listRuns, listUnmapped, type OperatorStores } from '../../shared/admin/operator-view';
import { testConnection } from '../../shared/admin/test-connection';
import { createServices } from '../../shared/app/services';
import type { ItemOutcome } from '../../shared/runs/run-status';
import { STORAGE_TARGET_HELP, storageTarget, storageTargetOptions, withTargetStorage, type ToolStorage } from '../stack/tool-storage';
import { knownConnectors } from '../stack/connectors';
import { parseCommandLine, runCommand, UsageError, wholeNumber } from './command-line';

const COMMANDS = ['status', 'runs', 'items', 'unmapped', 'failures', 'test-connection'] as const;
type Command = (typeof COMMANDS)[number];
const DEFAULT_RETENTION_DAYS = 90;

const spec = {
  usage: 'mobile-archive status|runs|items|unmapped|failures|test-connection [options] [--json] [--target local|azure] [--account NAME]',
  help: `status                      each connector: state, last run and its counts, next run, unmapped, failed
runs [--since DATE] [--limit N]           runs, newest first, with counts per connector
items [--run ID] [--connector ID] [--outcome O] [--number N] [--mailbox UPN] [--limit N]
                            per-item outcomes (one row per stage, and per mailbox copy)
unmapped [--connector ID]   items that mapped to no mailbox, with why
failures [--connector ID]   what a stage gave up on, with reasons, and the poison queues
test-connection <connector> the archiver sign-in, journal mailbox or landing container (local settings only)
  --json                    the answer as JSON
  --since DATE              how far back (default: the admin log's 90 days)
${STORAGE_TARGET_HELP}
Exit 0 when nothing needs attention, 1 when something does, 2 for a wrong command line.`,
  options: {
    json: { type: 'boolean' },
    since: { type: 'string' },
    limit: { type: 'string' },
    run: { type: 'string' },
    connector: { type: 'string' },
    outcome: { type: 'string' },
    number: { type: 'string' },
    mailbox: { type: 'string' },
    region: { type: 'string' },
    ...storageTargetOptions,
  },
  positionals: { min: 1, max: 2 },
} as const;

runCommand(async () => {
  const { values, positionals } = parseCommandLine(spec);
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${JSON.stringify(positionals[0])}\nusage: ${spec.usage}`);
  const connectorArg = command === 'test-connection' ? positionals[1] : values.connector;
  if (command === 'test-connection' && !connectorArg) throw new UsageError('test-connection needs the connector');
  if (command !== 'test-connection' && positionals.length > 1) throw new UsageError(`${command} takes no argument; filters are options (--help)`);
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError('--since must be a date (ISO 8601, e.g. 2026-11-01)');
  const limit = wholeNumber(values.limit, '--limit', 500, { min: 1, max: 100_000 });
  const print = (json: unknown, lines: () => string[]) => {
    if (values.json) console.log(JSON.stringify(json, null, 2));
    else for (const l of lines()) console.log(l);
  };
  return withTargetStorage(
    storageTarget(values),
    async (tool) => {
      const stores = await operatorStores(tool, values.region);
      const now = new Date();
      const from = since ?? defaultSince(tool.settings?.adminLogRetentionDays ?? DEFAULT_RETENTION_DAYS, now);
      switch (command) {
        case 'status': {
          const connectors = await connectorStatuses(stores, now, from);
          const { poison } = await listFailures(stores);
          print({ now: now.toISOString(), schedule: stores.settings.schedule, connectors, poison }, () => [
            ...connectors.map((c) => {
              const l = c.lastRun;
              const counts = l ? `${l.fetched} fetched, ${l.itemsImported} items in ${l.copies} mailbox copies` : 'no run yet';
              return `${c.connectorId} ${c.state}: ${counts}; ${c.unmapped} unmapped, ${c.failed} failed${l ? `; last run ${l.runId}` : ''}${c.nextRunAt ? `; next ${c.nextRunAt}` : ''}`;
            }),
            ...poison.filter((p) => p.messages > 0).map((p) => `${p.queue}: ${p.messages} message(s)`),
          ]);
          const attention = connectors.some((c) => c.state === 'failed' || c.failed > 0 || c.unmapped > 0) || poison.some((p) => p.messages > 0);
          return attention ? 1 : 0;
        }
        case 'runs': {
          const runs = await listRuns(stores.runStatus, from, limit);
          print({ runs }, () =>
            runs.flatMap((r) => [
              `run ${r.runId} started ${r.startedAt ?? '?'}`,
              ...r.connectors.map(
                (c) =>
                  `  ${c.connectorId} ${c.state}: ${c.fetched} fetched, ${c.itemsImported} items, ${c.copies} copies, ${c.unmapped} unmapped, ${c.failed} failed`,
              ),
            ]),
          );
          return runs.some((r) => r.connectors.some((c) => c.failed > 0 || c.state === 'failed')) ? 1 : 0;
        }
        case 'items': {
          const found = await findItems(stores, {
            runId: values.run,
            connectorId: values.connector,
            outcome: values.outcome as ItemOutcome | undefined,
            number: values.number,
            mailbox: values.mailbox,
            since: from,
            limit,
          });
          print(found, () => [
            ...found.items.map(
              (i) => `${i.runId} ${i.connectorId} ${i.stage} ${i.itemId}${i.mailbox ? ` ${i.mailbox}` : ''} ${i.outcome}${i.reason ? `: ${i.reason}` : ''}`,
            ),
            ...(found.truncated ? [`(stopped at --limit ${limit}; narrow the search)`] : []),
          ]);
          return 0;
        }
        case 'unmapped': {
          const unmapped = await listUnmapped(stores, values.connector);
          print({ unmapped }, () => unmapped.map((u) => `${u.connectorId} ${u.itemId} (run ${u.runId}): ${u.reasons.join('; ')}`));
          return unmapped.length > 0 ? 1 : 0;
        }
        case 'failures': {
          const result = await listFailures(stores, values.connector);
          print(result, () => [
            ...result.failures.map(
              (f) =>
                `connector ${f.connectorId}, ${f.stage}, item ${f.itemId ?? f.key}${f.mailbox ? `, mailbox ${f.mailbox}` : ''} (run ${f.runId}): ${f.reason}`,
            ),
            ...result.poison.filter((p) => p.messages > 0).map((p) => `${p.queue}: ${p.messages} message(s)`),
          ]);
          return result.failures.length > 0 || result.poison.some((p) => p.messages > 0) ? 1 : 0;
        }
        case 'test-connection': {
          if (!tool.settings)
            throw new UsageError(
              "test-connection runs with the connector's credentials, which in Azure only the function app has: use the status page's Test connection (or POST /api/operator/test-connection)",
            );
          const connector = tool.settings.connectors.find((c) => c.id === connectorArg)!;
          const services = createServices(tool.settings, tool.storage);
          const result = await testConnection(connector, { settings: tool.settings, mailboxApi: () => services.mailboxApi, landing: () => services.landing });
          print(result, () => [`${result.connectorId}: ${result.ok ? 'ok' : 'FAILED'}: ${result.detail}`]);
          return result.ok ? 0 : 1;
        }
      }
    },
    { connectorId: connectorArg },
  );
});

async function operatorStores(tool: ToolStorage, region: string | undefined): Promise<OperatorStores> {
  const table = (name: string) => tool.storage.table(name);
  const settings = tool.settings ?? {
    connectors: (await knownConnectors(tool)).map((id) => ({ id, source: 'unknown' })),
    // Numbers are read as the app reads them; without its settings, the region is asked for.
    mapping: { defaultRegion: (region ?? 'US') as never },
  };
  return {
    settings,
    storage: tool.storage,
    runStatus: new RunStatusStore(table(tables.runStatus)),
    unmapped: new UnmappedStore(table(tables.unmapped)),
    deadLetters: new DeadLetterStore(table(tables.deadLetters)),
    mapping: new MappingStore(table(tables.mapping)),
  };
}
