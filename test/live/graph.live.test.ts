/**
 * `npm run test:live`: the importer's Graph write path against a real Microsoft 365 tenant. Runs
 * only when these are in the environment, and is skipped with a notice otherwise:
 *   LIVE_GRAPH_TENANT_ID, LIVE_GRAPH_CLIENT_ID, LIVE_GRAPH_CLIENT_SECRET  an app registration with
 *     the Graph application roles of docs/deploy.md (a test tenant, or one scoped by RBAC to the mailbox)
 *   LIVE_GRAPH_MAILBOX  a designated test mailbox; the tests write to it and remove what they wrote
 *   LIVE_GRAPH_CLOUD    optional: global (default), usgov, usgovdod or china
 * Storage for the recorded self-test result is a local Azurite.
 */
import { after, before, describe, it } from 'node:test';
import { ClientSecretCredential } from '@azure/identity';
import { MailboxApi } from '../../shared/graph/mailbox-api';
import { createGraphClient } from '../../shared/graph/graph-client';
import { nationalClouds, type NationalCloud } from '../../shared/config/national-clouds';
import { StrategyStore } from '../../shared/importing/strategies';
import { tables } from '../../shared/storage/names';
import { graphWritePathTests, type WritePathTarget } from '../helpers/graph-write-path';
import { startTestStorage, type TestStorage } from '../helpers/azurite';

const NEEDED = ['LIVE_GRAPH_TENANT_ID', 'LIVE_GRAPH_CLIENT_ID', 'LIVE_GRAPH_CLIENT_SECRET', 'LIVE_GRAPH_MAILBOX'] as const;
const missing = NEEDED.filter((name) => !process.env[name]);

if (missing.length > 0) {
  console.log(`\n  NOTICE: live Graph tests skipped: set ${missing.join(', ')} to run them against a real tenant (docs/importing.md, "Live tests").\n`);
  describe('import write path against a real tenant', () => {
    it(`skipped: ${missing.join(', ')} not set`, { skip: `set ${missing.join(', ')}` }, () => undefined);
  });
} else {
  describe('import write path against a real tenant', () => {
    let ts: TestStorage;
    let target: WritePathTarget;
    before(async () => {
      ts = await startTestStorage();
      const cloud = (process.env.LIVE_GRAPH_CLOUD ?? 'global') as NationalCloud;
      const c = nationalClouds[cloud];
      if (!c) throw new Error(`LIVE_GRAPH_CLOUD "${cloud}" is not one of ${Object.keys(nationalClouds).join(', ')}`);
      const credential = new ClientSecretCredential(
        process.env.LIVE_GRAPH_TENANT_ID!,
        process.env.LIVE_GRAPH_CLIENT_ID!,
        process.env.LIVE_GRAPH_CLIENT_SECRET!,
        {
          authorityHost: c.authority,
        },
      );
      const graph = { nationalCloud: cloud, endpoint: c.graph, authority: c.authority, tenantId: process.env.LIVE_GRAPH_TENANT_ID };
      const options = { maxRetryAfterSeconds: 30, credential };
      await ts.storage.tableService.createTable(tables.importStrategies);
      target = {
        api: new MailboxApi(createGraphClient(graph, options), createGraphClient(graph, options, 'beta'), { maxRetryAfterSeconds: 30 }),
        strategies: new StrategyStore(ts.storage.table(tables.importStrategies)),
        mailbox: process.env.LIVE_GRAPH_MAILBOX!,
      };
    });
    after(() => ts?.stop());
    graphWritePathTests(() => target);
  });
}
