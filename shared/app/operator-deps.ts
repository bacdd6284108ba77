/** The operator API's view of the app's services: its stores, and the actions wired to Graph and the archiver. */
import type { Services } from './services';
import type { OperatorApiDeps } from '../admin/operator-api';
import { testConnection } from '../admin/test-connection';
import { runSelfTest } from '../importing/self-test';

export function operatorApiDeps(s: Services): OperatorApiDeps {
  return {
    settings: s.settings,
    storage: s.storage,
    runStatus: s.runStatus,
    unmapped: s.unmapped,
    deadLetters: s.deadLetters,
    mapping: s.mapping,
    now: () => new Date(),
    testConnection: (connector) => testConnection(connector, { settings: s.settings, mailboxApi: () => s.mailboxApi, landing: () => s.landing }),
    selfTest: (mailbox) => runSelfTest(mailbox, { api: s.mailboxApi, strategies: s.strategies, itemClass: s.settings.import.itemClass, log: () => undefined }),
  };
}
