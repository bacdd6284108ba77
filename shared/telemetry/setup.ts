/**
 * Sends logs, traces and the custom metrics to Application Insights when the app runs in Azure
 * (APPLICATIONINSIGHTS_CONNECTION_STRING is set), authenticating with the app's managed identity
 * (the workspace has local authentication off). Locally nothing is sent.
 *
 * host.json sets telemetryMode to OpenTelemetry, so the Functions host exports its own spans and
 * logs with OpenTelemetry too; the Azure Functions instrumentation makes each invocation's work in
 * this worker a child of the host's span, so one invocation is one trace (one operation_Id).
 * https://learn.microsoft.com/en-us/azure/azure-monitor/app/opentelemetry-enable?tabs=nodejs
 * https://learn.microsoft.com/en-us/azure/azure-functions/opentelemetry-howto
 */
import { useAzureMonitor } from '@azure/monitor-opentelemetry';
import { ManagedIdentityCredential } from '@azure/identity';
import { AzureFunctionsInstrumentation } from '@azure/functions-opentelemetry-instrumentation';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';

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
  registerInstrumentations({
    tracerProvider: trace.getTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    loggerProvider: logs.getLoggerProvider(),
    instrumentations: [new AzureFunctionsInstrumentation()],
  });
  // The instrumentation patches @azure/functions when it is next required; the function files may
  // all have loaded it already, so require it once more here (a cache hit that applies the patch).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@azure/functions');
  started = true;
  return true;
}
