import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { answerSnippet, MAX_ANSWER_BYTES } from './answer.js';
import { checkLiteralHost, guardedLookup, SsrfRefusedError } from './ssrf.js';

/** One HTTP request of a notification attempt, fully built (protocol and signatures included). */
export interface OutboundRequest {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** What came back from one attempt, before any success rule is applied. */
export interface HttpOutcome {
  /** Null when no answer arrived (refused, reset, timeout, SSRF refusal). */
  statusCode: number | null;
  /** The answer as text, at most `MAX_ANSWER_BYTES` of it. */
  body: string;
  /** The first 2 KiB, for the attempt row. */
  snippet: string;
  /** Why the attempt failed before a success rule could judge it; null when an answer was read. */
  error: string | null;
  durationMs: number;
}

export interface SenderOptions {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  /** Skip the SSRF guard (tests, LAN installs). */
  allowPrivate: boolean;
  /** DNS for the guard; the system resolver by default. */
  lookup?: LookupFunction;
  userAgent?: string;
}

class TotalTimeoutError extends Error {
  override name = 'TotalTimeoutError';
}

/**
 * Sends notification requests over one undici connection pool. Redirects are never followed;
 * each attempt is bounded by a connect timeout and a total timeout, and reads at most 64 KiB
 * of the answer. Without `allowPrivate`, every connection goes through the SSRF guard.
 */
export class NotificationSender {
  private readonly agent: Agent;

  constructor(private readonly opts: SenderOptions) {
    this.agent = new Agent({
      connect: {
        timeout: opts.connectTimeoutMs,
        ...(opts.allowPrivate ? {} : { lookup: opts.lookup ?? guardedLookup() }),
      },
      headersTimeout: opts.totalTimeoutMs,
      bodyTimeout: opts.totalTimeoutMs,
    });
  }

  /** Sends one request and reads its answer; never throws for anything the network does. */
  async send(req: OutboundRequest): Promise<HttpOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failed = (error: string, statusCode: number | null = null): HttpOutcome => ({
      statusCode,
      body: '',
      snippet: '',
      error,
      durationMs: elapsed(),
    });

    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return failed(`invalid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failed(`unsupported URL scheme ${url.protocol}`);
    }
    if (!this.opts.allowPrivate) {
      const refused = checkLiteralHost(url);
      if (refused) return failed(refused.message);
    }

    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new TotalTimeoutError(`timeout: no complete answer within ${this.opts.totalTimeoutMs} ms`),
        ),
      this.opts.totalTimeoutMs,
    );
    try {
      const res = await request(url, {
        dispatcher: this.agent,
        method: req.method as 'POST' | 'GET',
        headers: { 'user-agent': this.opts.userAgent ?? 'Shouyin-Notify/1', ...req.headers },
        body: req.method === 'GET' ? undefined : req.body,
        signal: controller.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = MAX_ANSWER_BYTES - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, Math.max(room, 0)));
          tooLarge = true;
          break; // leaving the loop destroys the body and its connection
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      const bytes = Buffer.concat(chunks);
      const snippet = answerSnippet(bytes);
      return {
        statusCode: res.statusCode,
        body: tooLarge ? '' : bytes.toString('utf8'),
        snippet,
        error: tooLarge ? `answer larger than ${MAX_ANSWER_BYTES / 1024} KiB` : null,
        durationMs: elapsed(),
      };
    } catch (err) {
      return failed(describeNetworkError(err, this.opts.connectTimeoutMs));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes idle connections; called once in-flight attempts are done. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Drops every connection, in-flight requests included (shutdown past its bound). */
  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}

/** A short, operator-readable reason for a failed request (stored as the attempt's error). */
export function describeNetworkError(err: unknown, connectTimeoutMs: number): string {
  let e = err as (Error & { code?: string; cause?: unknown; errors?: unknown[] }) | undefined;
  // Unwrap what undici and happy-eyeballs wrap around the cause that matters.
  for (let i = 0; i < 3 && e; i++) {
    if (e instanceof SsrfRefusedError || e instanceof TotalTimeoutError) return e.message;
    if (e.cause instanceof Error) e = e.cause as typeof e;
    else if (Array.isArray(e.errors) && e.errors[0] instanceof Error) e = e.errors[0] as typeof e;
    else break;
  }
  if (!e) return 'unknown error';
  if (e instanceof SsrfRefusedError || e instanceof TotalTimeoutError) return e.message;
  switch (e.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `connect timeout after ${connectTimeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timeout: ${e.message}`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return `connection reset (${e.message})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `DNS: cannot resolve host (${e.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `unreachable (${e.code})`;
    default:
      return e.code ? `${e.code}: ${e.message}` : e.message || e.name;
  }
}
