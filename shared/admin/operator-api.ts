/**
 * The operator API behind /api/operator/... (functions/operator.ts) and the status page that uses it:
 * read connectors, runs, items, unmapped items, failures and the mapping; act by re-driving, testing
 * a connector's credentials or running the Graph self-test. Every request is checked for the
 * operator role first (operator-principal.ts). Actions are POSTs with a JSON body: a browser sends
 * one cross-site only after a CORS preflight this API never answers, so a signed-in operator's
 * cookie cannot be used by another site to re-drive.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config';
import type { ConnectorSettings } from '../config/connector-settings';
import { ITEM_OUTCOMES, type ItemOutcome } from '../runs/run-status';
import type { SelfTestReport } from '../importing/self-test';
import { sendJsonMessage } from '../storage/queue-messages';
import { queues } from '../storage/names';
import { redriveFailed, redrivePoisoned, redriveUnmapped, type RedriveResult } from '../reconciling/redrive';
import { checkOperator } from './operator-principal';
import { adminLogCsv, mappingCsv } from './admin-log-csv';
import { connectorStatuses, defaultSince, findItems, listFailures, listRuns, listUnmapped, runLog, type OperatorStores } from './operator-view';
import type { ConnectionTest } from './test-connection';
import { statusPage } from './status-page';
import { selfTestRequestSchema } from '../jobs/self-test-request';

export interface OperatorApiDeps extends OperatorStores {
  settings: Config;
  now: () => Date;
  testConnection: (connector: ConnectorSettings) => Promise<ConnectionTest>;
  selfTest: (mailbox: string) => Promise<SelfTestReport>;
}

export interface OperatorRequest {
  method: string;
  /** The path after /api/operator/ (empty for the status page), e.g. `runs/<id>/log.csv`. */
  path: string;
  query: URLSearchParams;
  contentType?: string | null;
  body?: string;
  principal?: string | null;
}

export interface OperatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const MAX_LIMIT = 5000;
export const MAX_ACTION_BODY = 16 * 1024;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const json = (status: number, value: unknown): OperatorResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: `${JSON.stringify(value, null, 2)}\n`,
});

const download = (name: string, type: string, body: string): OperatorResponse => ({
  status: 200,
  headers: { 'content-type': `${type}; charset=utf-8`, 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' },
  body,
});

export async function handleOperatorRequest(req: OperatorRequest, deps: OperatorApiDeps): Promise<OperatorResponse> {
  const who = checkOperator(req.principal);
  if (!who.ok) return json(who.status, { error: who.reason });
  try {
    if (req.path === '' && req.method === 'GET') {
      const nonce = randomBytes(16).toString('base64');
      return {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': `default-src 'self'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; frame-ancestors 'none'`,
          'x-content-type-options': 'nosniff',
        },
        body: statusPage(nonce, who.name),
      };
    }
    return req.method === 'GET' ? await read(req, deps) : req.method === 'POST' ? await act(req, deps) : json(405, { error: `${req.method} is not allowed` });
  } catch (err) {
    if (err instanceof ApiError) return json(err.status, { error: err.message });
    throw err;
  }
}

async function read(req: OperatorRequest, deps: OperatorApiDeps): Promise<OperatorResponse> {
  const [first, second, third, ...rest] = req.path.split('/');
  const q = req.query;
  const now = deps.now();
  const since = q.has('since') ? date(q.get('since')!, 'since') : defaultSince(deps.settings.adminLogRetentionDays, now);
  const connectorId = q.get('connector') ?? undefined;
  if (connectorId !== undefined) connector(deps, connectorId);
  if (rest.length > 0) throw new ApiError(404, `no such resource: ${req.path}`);
  if (first === 'connectors' && !second)
    return json(200, { now: now.toISOString(), schedule: deps.settings.schedule, connectors: await connectorStatuses(deps, now, since) });
  if (first === 'runs' && !second) return json(200, { runs: await listRuns(deps.runStatus, since, limit(q, 50)) });
  if (first === 'runs' && second && !third) {
    const summary = await deps.runStatus.summarize(second);
    if (!summary) throw new ApiError(404, `no run ${second}`);
    return json(200, summary);
  }
  if (first === 'runs' && second && third === 'log.csv') {
    const rows = await runLog(deps.runStatus, second, connectorId);
    return download(`admin-log-${second}${connectorId ? `-${connectorId}` : ''}.csv`, 'text/csv', adminLogCsv(rows));
  }
  if (first === 'items' && !second) {
    const outcome = q.get('outcome') ?? undefined;
    if (outcome !== undefined && !ITEM_OUTCOMES.includes(outcome as ItemOutcome)) throw new ApiError(400, `outcome must be one of ${ITEM_OUTCOMES.join(', ')}`);
    const found = await findItems(deps, {
      runId: q.get('run') ?? undefined,
      connectorId,
      outcome: outcome as ItemOutcome | undefined,
      number: q.get('number') ?? undefined,
      mailbox: q.get('mailbox') ?? undefined,
      since,
      limit: limit(q, 500),
    });
    return json(200, found);
  }
  if (first === 'unmapped' && !second) return json(200, { unmapped: await listUnmapped(deps, connectorId) });
  if (first === 'failures' && !second) return json(200, await listFailures(deps, connectorId));
  if (first === 'mapping' && second && !third) {
    const id = second.replace(/\.csv$/, '');
    connector(deps, id);
    const rows = [];
    for await (const r of deps.mapping.rows(id)) rows.push(r);
    if (second.endsWith('.csv')) return download(`mapping-${id}.csv`, 'text/csv', mappingCsv(rows));
    return json(200, { connectorId: id, info: (await deps.mapping.info(id)) ?? null, rows });
  }
  throw new ApiError(404, `no such resource: ${req.path}`);
}

async function act(req: OperatorRequest, deps: OperatorApiDeps): Promise<OperatorResponse> {
  if (!/^application\/json\b/i.test(req.contentType ?? '')) throw new ApiError(415, 'actions take a JSON body (content-type: application/json)');
  if ((req.body?.length ?? 0) > MAX_ACTION_BODY) throw new ApiError(413, `the body is over ${MAX_ACTION_BODY} bytes`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.body || '{}') as Record<string, unknown>;
  } catch {
    throw new ApiError(400, 'the body is not JSON');
  }
  const text = (name: string): string | undefined => {
    const v = body[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ApiError(400, `${name} must be a string`);
    return v;
  };
  if (req.path === 'redrive') {
    const kind = text('kind');
    const c = connector(deps, text('connector'));
    const filter = { connectorId: c.id, runId: text('run'), itemId: text('item') };
    if (kind === 'unmapped') {
      if (filter.runId || filter.itemId) throw new ApiError(400, 'run and item apply to failed and poisoned re-drives');
      const queued = await redriveUnmapped(c.id, deps.unmapped, (job) =>
        sendJsonMessage(deps.storage.queue.getQueueClient(queues.importJobs), job).then(() => undefined),
      );
      return json(200, { kind, connectorId: c.id, queued: queued > 0 ? { [queues.importJobs]: queued } : {}, left: [] });
    }
    if (kind !== 'failed' && kind !== 'poisoned') throw new ApiError(400, 'kind must be unmapped, failed or poisoned');
    const result: RedriveResult = kind === 'failed' ? await redriveFailed(deps.storage, filter) : await redrivePoisoned(deps.storage, filter);
    return json(200, { kind, connectorId: c.id, ...result });
  }
  if (req.path === 'test-connection') return json(200, await deps.testConnection(connector(deps, text('connector'))));
  if (req.path === 'selftest') {
    // The same check as a self-test request queued on selftest-requests.
    const request = selfTestRequestSchema.safeParse({ mailbox: text('mailbox') });
    if (!request.success) throw new ApiError(400, 'mailbox must be the address of the designated test mailbox');
    return json(200, await deps.selfTest(request.data.mailbox));
  }
  throw new ApiError(404, `no such action: ${req.path}`);
}

function connector(deps: OperatorApiDeps, id: string | undefined): ConnectorSettings {
  if (!id) throw new ApiError(400, 'connector is required');
  const c = deps.settings.connectors.find((x) => x.id === id);
  if (!c) throw new ApiError(404, `unknown connector "${id}"; configured: ${deps.settings.connectors.map((x) => x.id).join(', ')}`);
  return c;
}

function limit(q: URLSearchParams, fallback: number): number {
  const raw = q.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new ApiError(400, `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

function date(raw: string, name: string): Date {
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new ApiError(400, `${name} must be a date (ISO 8601)`);
  return d;
}
