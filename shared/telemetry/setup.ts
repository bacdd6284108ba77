/**
 * Sends logs, traces and the custom metrics to Application Insights when the app runs in Azure
 * (APPLICATIONINSIGHTS_CONNECTION_STRING is set), authenticating with the app's managed identity
 * (the workspace has local authentication off). Locally nothing is sent.
 * https://learn.microsoft.com/en-us/azure/azure-monitor/app/opentelemetry-enable?tabs=nodejs
 */
import { useAzureMonitor } from '@azure/monitor-opentelemetry';
import { ManagedIdentityCredential } from '@azure/identity';

let started = false;

export function setupTelemetry(env: Readonly<Record<string, string | undefined>>): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (started || !connectionString) return started;
  const clientId = env.GRAPH_CLIENT_ID || env.AzureWebJobsStorage__clientId;
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      credential: clientId ? new ManagedIdentityCredential({ clientId }) : undefined,
    },
  });
  started = true;
  return true;
}
