/**
 * `npm run selftest -- --mailbox <upn>`: the import self-test against a designated test mailbox, with
 * the app's Graph settings and credentials (local.settings.json, or the environment). It tries every
 * way the importer writes a mailbox copy, reads each back, cleans up and records which work in this
 * tenant (shared/importing/self-test.ts). Exits 0 when the strategy GRAPH_IMPORT_MODE needs works.
 * Against the local stack (GRAPH_ENDPOINT on 127.0.0.1) a Graph simulator is started for the command
 * when none is running; GRAPH_SIM_FAULTS switches on its strict modes.
 */
import { createServices } from '../../shared/app/services';
import { tables } from '../../shared/storage/names';
import { runSelfTest } from '../../shared/importing/self-test';
import { STRATEGIES } from '../../shared/importing/strategies';
import { runCommand, takeDataDir, withStackStorage } from '../stack/tool-storage';
import { portIsFree } from '../stack/ports';
import { startGraphSimulator, type GraphSimulator } from '../stack/graph-sim/server';
import { graphSimOptionsFromEnv } from '../stack/graph-sim/options';

runCommand(async () => {
  const args = process.argv.slice(2);
  const dataDir = takeDataDir(args);
  const at = args.indexOf('--mailbox');
  const mailbox = at >= 0 ? args[at + 1] : undefined;
  if (!mailbox) {
    console.error('usage: npm run selftest -- --mailbox <test mailbox UPN> [--data-dir DIR]');
    return 2;
  }
  return withStackStorage(dataDir, async (storage, settings) => {
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
