/**
 * Exchange Online's per-mailbox limits for one app, answered with 429 and Retry-After as the service
 * does: 4 concurrent requests, 10,000 requests per 10 minutes, 150 MB uploaded per 5 minutes.
 * https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
 */
import { GraphHttpError } from './errors';
import type { GraphSimOptions } from './options';

interface MailboxUsage {
  active: number;
  requests: number[];
  uploads: { at: number; bytes: number }[];
}

export interface ThrottleStats {
  concurrency: number;
  rate: number;
  upload: number;
  maxConcurrentSeen: number;
  /** Per mailbox: requests admitted, answered 429, when the first and last were admitted (ms), and how many were admitted in each request window since the first. */
  byMailbox: Record<string, { admitted: number; throttled: number; first: number; last: number; windows: number[] }>;
}

export class MailboxThrottle {
  private readonly usage = new Map<string, MailboxUsage>();
  readonly stats: ThrottleStats = { concurrency: 0, rate: 0, upload: 0, maxConcurrentSeen: 0, byMailbox: {} };

  constructor(private readonly options: () => GraphSimOptions) {}

  /** Admits a request to a mailbox or throws a 429; call the returned release when it ends. */
  enter(mailbox: string, uploadBytes = 0): () => void {
    const o = this.options();
    const now = Date.now();
    const u = this.usage.get(mailbox) ?? { active: 0, requests: [], uploads: [] };
    this.usage.set(mailbox, u);
    u.requests = u.requests.filter((t) => now - t < o.requestWindowSeconds * 1000);
    u.uploads = u.uploads.filter((x) => now - x.at < o.uploadWindowSeconds * 1000);
    const retry = { 'Retry-After': String(o.retryAfterSeconds) };
    const seen = (this.stats.byMailbox[mailbox] ??= { admitted: 0, throttled: 0, first: now, last: now, windows: [] });
    if (u.active >= o.concurrentPerMailbox || u.requests.length >= o.requestsPer10Minutes) seen.throttled++;
    if (u.active >= o.concurrentPerMailbox) {
      this.stats.concurrency++;
      throw new GraphHttpError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', retry);
    }
    if (u.requests.length >= o.requestsPer10Minutes) {
      this.stats.rate++;
      throw new GraphHttpError(429, 'ApplicationThrottled', 'Application is over its IncomingBytes or request rate limit.', retry);
    }
    const uploaded = u.uploads.reduce((n, x) => n + x.bytes, 0);
    if (uploadBytes > 0 && uploaded + uploadBytes > o.uploadBytesPer5Minutes) {
      this.stats.upload++;
      seen.throttled++;
      throw new GraphHttpError(429, 'ApplicationThrottled', 'Application is over its upload size limit.', retry);
    }
    u.active++;
    seen.admitted++;
    seen.last = now;
    const w = Math.floor((now - seen.first) / (o.requestWindowSeconds * 1000));
    while (seen.windows.length <= w) seen.windows.push(0);
    seen.windows[w]++;
    this.stats.maxConcurrentSeen = Math.max(this.stats.maxConcurrentSeen, u.active);
    u.requests.push(now);
    if (uploadBytes > 0) u.uploads.push({ at: now, bytes: uploadBytes });
    let released = false;
    return () => {
      if (!released) u.active--;
      released = true;
    };
  }
}
