/**
 * The one module that speaks the archiver's pull interface (docs/archiver-source.md). It runs on
 * the Azure SDK's HTTP pipeline: its default retry policy waits out `Retry-After` on 429/503 and
 * backs off on 5xx, 408 and reset connections; our sign-in policy adds the bearer token, and every
 * attempt is bounded in time (connect, first byte, idle: http/io-timeouts.ts). A page is read line
 * by line as it arrives, each line at most `maxLineBytes`, so neither a huge page nor a huge line is
 * ever held whole.
 */
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { Readable } from 'node:stream';
import { ArchiverRequestError } from './errors';
import { signInPolicy } from './sign-in-policy';
import { percentEncode } from '../text/percent-encode';
import { DEFAULT_IO_TIMEOUTS, ioTimeoutPolicy, type IoTimeouts } from '../http/io-timeouts';
import { ndjsonLines, type PageLine } from './ndjson-lines';

export interface ArchiverAccount {
  baseUrl: string;
  username: string;
  password: string;
}

/** The archiver's query range: items archived with a timestamp in [from, to). */
export interface TimeRange {
  from: Date;
  to: Date;
}

export interface ItemPage {
  /** Each raw item exactly as the archiver sent it (one NDJSON line, without the line break), as it arrives. */
  lines: AsyncIterable<PageLine>;
  nextCursor?: string;
}

export interface AttachmentDownload {
  stream: Readable;
  contentType?: string;
  /** Length of what this response carries (the rest of the file when resuming). */
  length?: number;
}

export interface ArchiverClientOptions {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  httpClient?: HttpClient;
  timeouts?: IoTimeouts;
  /** Longest NDJSON line (one item) read; a longer one is reported, not held. */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export class ArchiverClient {
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  /** Plain http is only accepted by the settings for loopback URLs (the local simulator). */
  private readonly insecure: boolean;
  private readonly maxLineBytes: number;

  constructor(
    private readonly account: ArchiverAccount,
    options: ArchiverClientOptions = {},
  ) {
    const retryOptions = {
      maxRetries: options.maxRetries ?? 3,
      retryDelayInMs: options.retryDelayInMs ?? 1000,
      maxRetryDelayInMs: options.maxRetryDelayInMs ?? 30_000,
    };
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
    this.insecure = account.baseUrl.startsWith('http://');
    const timeouts = options.timeouts ?? DEFAULT_IO_TIMEOUTS;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.pipeline = createPipelineFromOptions({ retryOptions, userAgentOptions: { userAgentPrefix: 'mobile-archive-connector' } });
    const tokenPipeline = createPipelineFromOptions({ retryOptions });
    // Per attempt (after the retry policy), so a timed-out attempt is retried like a reset one.
    this.pipeline.addPolicy(ioTimeoutPolicy(timeouts, 'archiver request'), { afterPhase: 'Retry' });
    tokenPipeline.addPolicy(ioTimeoutPolicy(timeouts, 'archiver sign-in', 64 * 1024), { afterPhase: 'Retry' });
    this.pipeline.addPolicy(
      signInPolicy({
        tokenUrl: this.url('/api/v1/auth/token'),
        allowInsecureConnection: this.insecure,
        username: account.username,
        password: account.password,
        send: (request) => tokenPipeline.sendRequest(this.httpClient, request),
      }),
      { phase: 'Sign' },
    );
  }

  /**
   * One page of the window, read as it arrives. The headers (and so the next cursor) come first; a
   * body cut off later fails the iteration, and the caller asks for the same page again.
   */
  async listItems(product: string, window: TimeRange, options: { cursor?: string; limit: number }): Promise<ItemPage> {
    const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString(), limit: String(options.limit) });
    if (options.cursor) query.set('cursor', options.cursor);
    const request = createPipelineRequest({
      url: this.url(`/api/v1/products/${percentEncode(product)}/items?${query.toString()}`),
      method: 'GET',
      headers: createHttpHeaders({ Accept: 'application/x-ndjson' }),
      allowInsecureConnection: this.insecure,
      // Read as bytes, not text: each line is stored byte for byte, whatever its encoding.
      streamResponseStatusCodes: new Set([200]),
    });
    const response = await this.pipeline.sendRequest(this.httpClient, request);
    if (response.status !== 200 || !response.readableStreamBody) {
      throw new ArchiverRequestError(response.status, `listing ${product} items`);
    }
    return { lines: ndjsonLines(response.readableStreamBody as Readable, this.maxLineBytes), nextCursor: response.headers.get('next-cursor') || undefined };
  }

  /** Streams an attachment, from `offset` on when resuming a cut-off download. */
  async downloadAttachment(attachmentId: string, offset = 0): Promise<AttachmentDownload> {
    const headers = createHttpHeaders({ Accept: '*/*' });
    if (offset > 0) headers.set('Range', `bytes=${offset}-`);
    const request = createPipelineRequest({
      url: this.url(`/api/v1/attachments/${percentEncode(attachmentId)}`),
      method: 'GET',
      headers,
      allowInsecureConnection: this.insecure,
      streamResponseStatusCodes: new Set([200, 206]),
    });
    const response = await this.pipeline.sendRequest(this.httpClient, request);
    const expected = offset > 0 ? 206 : 200;
    if (response.status !== expected || !response.readableStreamBody) {
      response.readableStreamBody?.resume();
      throw new ArchiverRequestError(response.status, `download of attachment ${attachmentId}`);
    }
    const length = Number(response.headers.get('content-length'));
    return {
      stream: response.readableStreamBody as Readable,
      contentType: response.headers.get('content-type'),
      length: Number.isFinite(length) ? length : undefined,
    };
  }

  private url(path: string): string {
    return `${this.account.baseUrl}${path}`;
  }
}
