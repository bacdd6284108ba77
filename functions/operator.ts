import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { guarded } from '../shared/app/invocation-guard';
import { services } from '../shared/app/services';
import { operatorApiDeps } from '../shared/app/operator-deps';
import { handleOperatorRequest, MAX_ACTION_BODY } from '../shared/admin/operator-api';
import { PRINCIPAL_HEADER } from '../shared/admin/operator-principal';

/**
 * HTTP: the operator API (/api/operator/...) and the status page (/api/status). Anonymous at the
 * Functions level: in Azure, App Service authentication (Entra ID) stands in front and the handler
 * requires the operator app role (shared/admin/operator-principal.ts). Routes cannot start with
 * "admin", which the Functions host keeps for itself.
 */
export async function operator(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > MAX_ACTION_BODY) return { status: 413, jsonBody: { error: `the body is over ${MAX_ACTION_BODY} bytes` } };
  const path = context.functionName === 'status' ? '' : (request.params.path ?? '');
  const response = await handleOperatorRequest(
    {
      method: request.method,
      path,
      query: request.query,
      contentType: request.headers.get('content-type'),
      body: request.method === 'POST' ? await request.text() : undefined,
      principal: request.headers.get(PRINCIPAL_HEADER),
    },
    operatorApiDeps(services()),
  );
  if (response.status >= 400) context.warn(`operator ${request.method} /${path}: ${response.status}`);
  return response;
}

app.http('operator', { route: 'operator/{*path}', methods: ['GET', 'POST'], authLevel: 'anonymous', handler: guarded(operator) });
app.http('status', { route: 'status', methods: ['GET'], authLevel: 'anonymous', handler: guarded(operator) });
