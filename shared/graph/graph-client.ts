/**
 * The Microsoft Graph client for the configured national cloud, authenticated with the app's managed
 * identity. The chain is the SDK's default one with our retry policy in place of its RetryHandler:
 * authentication, retry, redirect (the SDK's: follows 3xx, drops the token across hosts), telemetry
 * (the SDK's: a client-request-id per request, which Microsoft support asks for, and the SdkVersion
 * header), HTTP. Locally (GRAPH_ENDPOINT on 127.0.0.1) it talks to the Graph simulator, which
 * accepts any bearer token.
 * https://learn.microsoft.com/en-us/graph/sdks/customize-client
 */
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  TelemetryHandler,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { nationalClouds } from '../config/national-clouds';
import type { Config } from '../config/config';
import { RetryPolicy } from './retry-policy';
import { IoTimeoutMiddleware } from './io-timeout-middleware';
import { DEFAULT_IO_TIMEOUTS, type IoTimeouts } from '../http/io-timeouts';

export interface GraphClientOptions {
  maxRetries?: number;
  maxRetryAfterSeconds: number;
  baseDelayMs?: number;
  /** First-byte and idle bounds on every attempt (HTTP_*_TIMEOUT_SECONDS). */
  timeouts?: Pick<IoTimeouts, 'firstByteMs' | 'idleMs'>;
  /** Tests only: the credential instead of the managed identity. */
  credential?: TokenCredential;
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

export function createGraphClient(graph: Config['graph'], options: GraphClientOptions, version: 'v1.0' | 'beta' = 'v1.0'): Client {
  const local = isLocalEndpoint(graph.endpoint);
  let auth: Middleware;
  if (local) auth = new SimulatorAuth();
  else {
    const credential: TokenCredential =
      options.credential ??
      (graph.clientId
        ? new ManagedIdentityCredential({ clientId: graph.clientId })
        : new DefaultAzureCredential({ tenantId: graph.tenantId, authorityHost: graph.authority }));
    // The token is for the cloud's Graph, also when GRAPH_ENDPOINT names a proxy in front of it.
    const scope = `${nationalClouds[graph.nationalCloud].graph}/.default`;
    auth = new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] }));
  }
  const retry = new RetryPolicy({
    maxRetries: options.maxRetries ?? 4,
    maxRetryAfterSeconds: options.maxRetryAfterSeconds,
    baseDelayMs: options.baseDelayMs ?? 500,
  });
  const timeouts = new IoTimeoutMiddleware(options.timeouts ?? DEFAULT_IO_TIMEOUTS);
  const chain: Middleware[] = [auth, retry, timeouts, new RedirectHandler(), new TelemetryHandler(), new HTTPMessageHandler()];
  for (let i = 0; i < chain.length - 1; i++) chain[i].setNext!(chain[i + 1]);
  return Client.initWithMiddleware({
    baseUrl: graph.endpoint,
    defaultVersion: version,
    middleware: auth,
    // The SDK authenticates (and tags) only requests to the known Graph hosts, unless told of others:
    // a GRAPH_ENDPOINT proxy would otherwise get no token at all.
    customHosts: new Set([new URL(graph.endpoint).hostname]),
  });
}
