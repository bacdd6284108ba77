/**
 * The parts of host.json the dev host honours, with the Functions host's defaults where a value
 * is not set. https://learn.microsoft.com/en-us/azure/azure-functions/functions-host-json
 */
import { readFileSync } from 'node:fs';

export interface QueueHostConfig {
  maxPollingIntervalMs: number;
  /** Delay before a failed message is retried. */
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  queues: QueueHostConfig;
  functionTimeoutMs?: number;
}

/** host.json TimeSpan "hh:mm:ss[.fff]" (or "d.hh:mm:ss"); a bare number is milliseconds. */
export function parseTimeSpan(value: string | number, setting: string): number {
  if (typeof value === 'number') return value;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value.trim());
  if (!m) throw new Error(`host.json ${setting}: "${value}" is not a TimeSpan (hh:mm:ss)`);
  const [, d, h, min, s, ms] = m;
  return ((Number(d ?? 0) * 24 + Number(h)) * 3600 + Number(min) * 60 + Number(s)) * 1000 + Number((ms ?? '0').padEnd(3, '0'));
}

/**
 * host.json, with the app settings that override it as the host honours them:
 * AzureFunctionsJobHost__extensions__queues__<name> (and __functionTimeout)
 * (https://learn.microsoft.com/en-us/azure/azure-functions/functions-host-json#override-hostjson-values).
 */
export function readHostConfig(path: string, env: Record<string, string | undefined> = process.env): HostConfig {
  const json = JSON.parse(readFileSync(path, 'utf8')) as {
    functionTimeout?: string;
    extensions?: { queues?: Record<string, string | number | undefined> };
  };
  const q: Record<string, string | number | undefined> = { ...json.extensions?.queues };
  const prefix = 'azurefunctionsjobhost__extensions__queues__';
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name.toLowerCase().startsWith(prefix)) {
      const key = Object.keys(q).find((k) => k.toLowerCase() === name.slice(prefix.length).toLowerCase()) ?? name.slice(prefix.length);
      q[key] = value;
    }
  }
  json.functionTimeout = env.AzureFunctionsJobHost__functionTimeout ?? json.functionTimeout;
  const batchSize = Number(q.batchSize ?? 16);
  const encoding = String(q.messageEncoding ?? 'base64');
  if (encoding !== 'base64' && encoding !== 'none') throw new Error(`host.json extensions.queues.messageEncoding: "${encoding}" must be base64 or none`);
  return {
    queues: {
      maxPollingIntervalMs: parseTimeSpan(q.maxPollingInterval ?? '00:01:00', 'extensions.queues.maxPollingInterval'),
      visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout ?? '00:00:00', 'extensions.queues.visibilityTimeout'),
      batchSize,
      newBatchThreshold: Number(q.newBatchThreshold ?? Math.floor(batchSize / 2)),
      maxDequeueCount: Number(q.maxDequeueCount ?? 5),
      messageEncoding: encoding,
    },
    functionTimeoutMs: json.functionTimeout ? parseTimeSpan(json.functionTimeout, 'functionTimeout') : undefined,
  };
}
