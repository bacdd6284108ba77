/**
 * `npm run selftest -- --mailbox <upn>`: the import self-test against a designated test mailbox, with
 * the app's Graph settings and credentials (local.settings.json, or the environment). It tries every
 * way the importer writes a mailbox copy, reads each back, cleans up and records which work in this
 * tenant (shared/importing/self-test.ts). Exits 0 when the strategy GRAPH_IMPORT_MODE needs works.
 * Against the local stack (GRAPH_ENDPOINT on 127.0.0.1) a Graph simulator is started for the command
 * when none is running; GRAPH_SIM_FAULTS switches on its strict modes. With --target azure the
 * request is queued for the deployed app (selftest-requests), which runs it with its own identity.
 */
import { createServices } from '../../shared/app/services';
import { queues, tables } from '../../shared/storage/names';
import { sendJsonMessage } from '../../shared/storage/queue-messages';
import { selfTestRequestSchema } from '../../shared/jobs/self-test-request';
import { runSelfTest } from '../../shared/importing/self-test';
import { STRATEGIES } from '../../shared/importing/strategies';
import { STORAGE_TARGET_HELP, storageTarget, storageTargetOptions, withTargetStorage } from '../stack/tool-storage';
import { parseCommandLine, runCommand, UsageError } from './command-line';
import { portIsFree } from '../stack/ports';
import { startGraphSimulator, type GraphSimulator } from '../stack/graph-sim/server';
import { graphSimOptionsFromEnv } from '../stack/graph-sim/options';

const spec = {
  usage: 'npm run selftest -- --mailbox <test mailbox UPN> [--target local|azure] [--account NAME]',
  help: `Tries every way the importer writes a mailbox copy against a designated test mailbox, reads each
back, removes what it wrote and records which work in this tenant. Exit 0 when the way
GRAPH_IMPORT_MODE needs works, 1 when it does not.
  --mailbox UPN         the test mailbox (it receives and loses a few test messages)
${STORAGE_TARGET_HELP}
With --target azure the request is queued for the deployed app, which runs it with its own identity;
the result is in Application Insights and the importstrategies table.`,
  options: { mailbox: { type: 'string' }, ...storageTargetOptions },
} as const;

runCommand(async () => {
  const { values } = parseCommandLine(spec);
  const parsed = selfTestRequestSchema.safeParse({ mailbox: values.mailbox });
  if (!parsed.success) throw new UsageError(`--mailbox needs the test mailbox's address\nusage: ${spec.usage}`);
  const mailbox = parsed.data.mailbox;
  return withTargetStorage(storageTarget(values), async ({ storage, settings }) => {
    if (!settings) {
      await sendJsonMessage(storage.queue.getQueueClient(queues.selfTestRequests), { mailbox });
      console.log(
        `queued the import self-test against ${mailbox} for the deployed app; its result appears in Application Insights (selftest) and the importstrategies table`,
      );
      return 0;
    }
    let sim: GraphSimulator | undefined;
    const endpoint = new URL(settings.graph.endpoint);
    if (endpoint.hostname === '127.0.0.1' && (await portIsFree(Number(endpoint.port)))) {
      sim = await startGraphSimulator({ ...graphSimOptionsFromEnv(process.env), port: Number(endpoint.port) });
      console.log(`(Graph simulator started on ${sim.url} for the self-test)`);
    }
    try {
      await storage.tableService.createTable(tables.importStrategies);
      const s = createServices(settings, storage);
      console.log(`import self-test against ${mailbox} (${settings.graph.endpoint})`);
      const report = await runSelfTest(mailbox, {
        api: s.mailboxApi,
        strategies: s.strategies,
        itemClass: settings.import.itemClass,
        log: (l) => console.log(`  ${l}`),
      });
      const works = new Map(report.results.map((r) => [r.strategy, r.works]));
      const needed = settings.import.mode === 'importMime' ? STRATEGIES.importMime : STRATEGIES.jsonCreate;
      if (!works.get(STRATEGIES.attachmentPost) || !works.get(STRATEGIES.uploadSession)) {
        console.log('  attachments that do not fit in the create will be left out of the copies with a note (counted as partially imported)');
      }
      console.log(
        works.get(needed)
          ? `GRAPH_IMPORT_MODE=${settings.import.mode} can run (${needed} works); recorded.`
          : `GRAPH_IMPORT_MODE=${settings.import.mode} needs ${needed}, which does not work here: the importer will refuse it.`,
      );
      return works.get(needed) ? 0 : 1;
    } finally {
      await sim?.close();
    }
  });
});
