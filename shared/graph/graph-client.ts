/**
 * The Microsoft Graph client for the configured national cloud: the SDK's authentication and HTTP
 * handlers around our retry policy, authenticated with the app's managed identity. Locally
 * (GRAPH_ENDPOINT on 127.0.0.1) it talks to the Graph simulator, which accepts any bearer token.
 */
import { AuthenticationHandler, Client, HTTPMessageHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { AppSettings } from '../config/settings';
import { RetryPolicy } from './retry-policy';

export interface GraphClientOptions {
  maxRetries?: number;
  maxRetryAfterSeconds: number;
  baseDelayMs?: number;
}

/**
 * For the local Graph simulator only. The SDK's AuthenticationHandler adds tokens only to https
 * URLs, and the simulator listens on plain http on 127.0.0.1; its token is not a secret and grants
 * nothing.
 */
class SimulatorAuth implements Middleware {
  private next?: Middleware;
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    context.options = { ...context.options, headers: { ...(context.options?.headers as Record<string, string>), Authorization: 'Bearer graph-simulator' } };
    await this.next!.execute(context);
  }
}

export function isLocalEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === '127.0.0.1' || host === 'localhost';
}

export function createGraphClient(graph: AppSettings['graph'], options: GraphClientOptions, version: 'v1.0' | 'beta' = 'v1.0'): Client {
  const local = isLocalEndpoint(graph.endpoint);
  let auth: Middleware;
  if (local) auth = new SimulatorAuth();
  else {
    const credential: TokenCredential = graph.clientId
      ? new ManagedIdentityCredential({ clientId: graph.clientId })
      : new DefaultAzureCredential({ tenantId: graph.tenantId, authorityHost: graph.authority });
    auth = new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: [`${graph.endpoint}/.default`] }));
  }
  const retry = new RetryPolicy({ maxRetries: options.maxRetries ?? 4, maxRetryAfterSeconds: options.maxRetryAfterSeconds, baseDelayMs: options.baseDelayMs ?? 500 });
  const http = new HTTPMessageHandler();
  auth.setNext!(retry);
  retry.setNext(http);
  return Client.initWithMiddleware({
    baseUrl: graph.endpoint,
    defaultVersion: version,
    middleware: auth,
  });
}
