import type { LookupFunction } from 'node:net';
import { Agent, errors as undiciErrors, request as undiciRequest, type Dispatcher } from 'undici';
import { awaitShared, startShared, type CallContext, type SharedWork } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { CircuitBreaker, type CircuitOptions, type CircuitSnapshot } from './circuit-breaker.js';
import { rateLimitPauseMs } from './rate-limit-headers.js';
import { VendorBudget, type BudgetLimit, type BudgetWindow } from './vendor-budget.js';
import type { ReadCacheStore } from './read-cache.js';

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path relative to the client's base URL (`/v2/spaces/…`), or an absolute URL (token endpoints). */
  path: string;
  /** Values of `undefined`/`null` are left out; arrays repeat the key. */
  query?: Record<string, QueryValue> | URLSearchParams;
  headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is. */
  body?: string | Buffer;
  /** Whether the call may be repeated safely (default: GET, HEAD, PUT and DELETE are). */
  idempotent?: boolean;
  /** Overrides the client's retry count for this call. */
  retries?: number;
  /** Whether an identical GET in flight may answer this one too (default true; passthrough reads are the caller's own). */
  shared?: boolean;
  /**
   * Whether the call's failures count towards the connection's circuit (default true). Passthrough calls
   * reach whatever the caller names (streams, unsupported paths): their failures are the caller's own and
   * must not close the connection for every translated call. They still wait while the circuit is open.
   */
  circuit?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body as UTF-8 text. */
  text(): string;
  /**
   * The body parsed as JSON; an unreadable body is an `upstream_error`. Parsed once: every call answers the same
   * deep-frozen value, which a coalesced read's callers share, so a body's objects are never changed in place.
   */
  json<T>(): T;
}

/** A never-ending vendor answer (an event stream), opened with a 2xx status. */
export interface HttpStream {
  status: number;
  headers: Record<string, string>;
  /**
   * The body's lines as they arrive, without their line ends. Ends when the vendor ends the body; throws
   * `upstream_timeout` when nothing arrives for the stream's idle limit, `upstream_unavailable` when the
   * connection breaks, `upstream_error` for a line over the answer size limit.
   */
  lines(): AsyncIterable<string>;
  /** Stops reading and releases the connection. */
  close(): void;
}

/** One vendor call as it ended, for logs and metrics: no query string, no headers, so no credential. */
export interface VendorCallEvent {
  connectionId: string;
  provider: string;
  requestId: string;
  method: string;
  /** The path only (`/v2/spaces/…/devices`). */
  path: string;
  /** The vendor's status, or undefined when no answer came. */
  status?: number;
  /** The error type when the call failed before or without an answer. */
  error?: string;
  durationMs: number;
  attempt: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Retries of idempotent calls after a network error, 5xx or 429 (default 2). */
  retries?: number;
  connectionId: string;
  provider: string;
  /** Answers larger than this are refused as `upstream_error` (default 10 MiB). */
  maxResponseBytes?: number;
  /** Base of the jittered exponential backoff between retries (default 100 ms). */
  backoffMs?: number;
  /** Headers that carry credentials for this connection; their values are never logged or returned. */
  secretHeaders?: string[];
  /** Keep-alive connections per vendor origin (default 64). */
  connections?: number;
  /** The connection's circuit (default: opens after 5 failures in a row, probes after 30 s). */
  circuit?: CircuitOptions;
  /** The vendor account's documented limit; calls beyond it wait or fail before the vendor would refuse them. */
  budget?: BudgetLimit;
  /** Where the budget's calls are counted (default: a window of this client's own); connections of one vendor account, or instances sharing Redis, pass the same. */
  budgetWindow?: BudgetWindow;
  /** The longest a call waits for the budget before answering 429 itself (default 5 s, and never past the caller's deadline). */
  maxBudgetWaitMs?: number;
  /** Callers that may wait for the budget at once; more are answered 429 at once (default 1000). */
  maxBudgetQueue?: number;
  /** Vendor reads answered again for `ttlMs` from `store` (none when absent or 0). */
  cache?: { ttlMs: number; store: ReadCacheStore };
  /** Told about every vendor call that went out. */
  onCall?: (event: VendorCallEvent) => void;
  /** Told whenever the reads in flight are forgotten (a write, a pushed event, another instance's notice): work built on them is stale. */
  onForget?: () => void;
  /** Resolves host names for new connections (default: the system resolver), e.g. to refuse some addresses. */
  lookup?: LookupFunction;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Seconds from a `Retry-After` header (delta seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  // undici hands header names over in lower case already.
  const out: Record<string, string> = {};
  for (const key in raw) {
    const value = raw[key];
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

/** Path-and-query characters the URL parser leaves as they are (`'` it escapes in a query; `#`, spaces and the like it escapes or cuts). */
const PLAIN_TARGET = /^\/[\w\-.~!$&()*+,;=:@/?%]*$/;
/** A `.` or `..` segment, also percent-encoded: the URL parser resolves those. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:[/?]|$)/i;

/**
 * The origin and path-with-query undici is given for `url`, exactly as `new URL(url)` would split them.
 * A URL on `origin` whose target the parser would leave unchanged (every call devicegate builds itself)
 * is split by hand: parsing a URL for each vendor call was a measurable share of a passthrough's CPU.
 */
export function splitTarget(url: string, origin: string): { origin: string; path: string } {
  if (origin && url.startsWith(origin) && url.charCodeAt(origin.length) === 0x2f) {
    const path = url.slice(origin.length);
    if (PLAIN_TARGET.test(path) && !DOT_SEGMENT.test(path) && !path.endsWith('?')) return { origin, path };
  }
  const parsed = new URL(url);
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

/** The query string of a request (without `?`); values of undefined/null are left out, arrays repeat the key. */
function queryString(query: HttpRequest['query']): string {
  if (!query) return '';
  if (query instanceof URLSearchParams) return query.toString();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  return params.toString();
}

/**
 * One vendor call on undici's dispatcher, its answer read whole. `Agent.dispatch` with this handler
 * does what `undici.request` would, without the Readable body stream, async resource and promise it
 * builds per call: a third of what a call costs the gateway's CPU. `abort` ends it at any point.
 */
class VendorCall implements Dispatcher.DispatchHandler {
  aborted = false;
  private controller?: Dispatcher.DispatchController;
  private reason?: Error;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: (status: number) => GatewayError,
    private readonly resolve: (answer: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    // Before a connection took the call there is nothing to stop yet: it is stopped as it starts.
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(this.reason!);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are informational; the real answer follows.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    if (Number(headers['content-length']) > this.maxBytes) this.abort(this.tooLarge(statusCode));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) this.abort(this.tooLarge(this.status));
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.resolve({ status: this.status, headers: this.headers, body: this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(this.reason instanceof GatewayError ? this.reason : error);
  }
}

/** One vendor read in flight and how many callers still wait for it. */
type Flight = SharedWork<HttpResponse>;

/**
 * Freezes a parsed JSON value and everything in it (plain objects and arrays only: JSON makes nothing else).
 * A loop with its own stack, not recursion: `JSON.parse` reads bodies nested far deeper than the ~10,000 levels a
 * recursive walk survives, and such an answer must not end in a stack overflow.
 */
function deepFreeze(root: unknown): void {
  if (root === null || typeof root !== 'object') return;
  const pending: object[] = [root];
  const visit = (item: unknown) => {
    if (item !== null && typeof item === 'object') pending.push(item);
  };
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    Object.freeze(value);
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) visit(value[i]);
    else for (const key in value) visit((value as Record<string, unknown>)[key]);
  }
}

/**
 * A vendor answer, read completely (also as the shared read cache gives it back).
 *
 * `json()` parses once per response and hands every caller the same deep-frozen value: the callers of a
 * coalesced read share one response, and 32 of them parsing the same page was a fifth of a busy list's CPU.
 * Frozen always, not only when shared, so that code which changes a vendor body fails in every test instead of
 * corrupting another caller's answer under load only (freezing costs about a fifth of the parse).
 */
export class VendorResponse implements HttpResponse {
  private parsed?: { value: unknown };

  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    private readonly attribution: { connectionId: string; provider?: string },
  ) {}

  text(): string {
    return this.body.toString('utf8');
  }

  json<T>(): T {
    if (this.parsed) return this.parsed.value as T;
    let value: unknown;
    try {
      value = JSON.parse(this.body.toString('utf8'));
    } catch {
      throw new GatewayError('upstream_error', 'The vendor answered a body that is not valid JSON.', { upstreamStatus: this.status, ...this.attribution });
    }
    deepFreeze(value);
    this.parsed = { value };
    return value as T;
  }
}

/**
 * The one place that speaks HTTP to vendors. Every call has a timeout, carries the request id,
 * is retried only when it is idempotent, and never lets a credential into an error message.
 */
export class HttpClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly agent: Agent;
  private readonly options: Required<Omit<HttpClientOptions, 'secretHeaders' | 'circuit' | 'budget' | 'budgetWindow' | 'onCall' | 'lookup' | 'maxBudgetQueue' | 'cache' | 'onForget'>> & { secretHeaders: string[]; onCall?: (event: VendorCallEvent) => void; onForget?: () => void };
  private readonly circuit: CircuitBreaker;
  private secretHeaderNames?: Set<string>;
  /** Who an error is about: the connection and provider, never more. */
  private readonly attributionOf: { connectionId: string; provider: string };
  private readonly budget?: VendorBudget;
  /**
   * The reads in flight by key, as properties of a prototype-less object rather than a Map: measured under
   * load, a long-lived Map with an entry added and deleted per read made V8 move ~1 KB of every read (its
   * answer, headers, frames) into the old generation — 420 KB per young-generation collection against 47 KB
   * — which doubled each collection's pause and fed the old generation's; the same entries as properties
   * die young.
   */
  private flights: Record<string, Flight> = Object.create(null) as Record<string, Flight>;
  private readonly cache?: { ttlMs: number; store: ReadCacheStore };
  /** Bumped by every invalidation: a read that started before one is not kept in the cache. */
  private generation = 0;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = URL.canParse(this.baseUrl) ? new URL(this.baseUrl).origin : '';
    this.options = {
      retries: 2,
      maxResponseBytes: 10 * 1024 * 1024,
      backoffMs: 100,
      connections: 64,
      secretHeaders: [],
      maxBudgetWaitMs: 5000,
      ...options,
    };
    this.attributionOf = { connectionId: options.connectionId, provider: options.provider };
    this.circuit = new CircuitBreaker(options.circuit);
    this.cache = options.cache && options.cache.ttlMs > 0 ? options.cache : undefined;
    this.budget = options.budget ? new VendorBudget(options.budget, this.attributionOf, { maxQueue: options.maxBudgetQueue }, options.budgetWindow) : undefined;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      connections: this.options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: Math.min(options.timeoutMs, 10_000), ...(options.lookup ? { lookup: options.lookup } : {}) },
    });
  }

  async request(req: HttpRequest, ctx: CallContext): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT' || req.method === 'DELETE');
    const maxRetries = idempotent ? (req.retries ?? this.options.retries) : 0;
    // A string, not a URL object: undici parses it once, and the hot path builds nothing else.
    const absolute = req.path.startsWith('http://') || req.path.startsWith('https://');
    const path = absolute ? req.path : req.path.startsWith('/') ? req.path : `/${req.path}`;
    const qs = queryString(req.query);
    const url = `${absolute ? '' : this.baseUrl}${path}${qs ? `${path.includes('?') ? '&' : '?'}${qs}` : ''}`;
    const pathname = absolute ? new URL(path).pathname : path.split('?')[0];
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': ctx.requestId, ...(req.headers ?? {}) };
    let body: string | Buffer | undefined = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    } else if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }

    if (req.method === 'GET' && req.shared !== false) {
      const key = req.headers ? `${url}\n${JSON.stringify(req.headers)}` : url;
      let stored = -1;
      if (this.cache) {
        const found = this.cache.store.get(this.options.connectionId, key);
        const { read, generation } = found instanceof Promise ? await found : found;
        stored = generation;
        const ageMs = read && !ctx.noCache ? Date.now() - read.storedAt : Infinity;
        if (ageMs < this.cache.ttlMs) {
          ctx.recordRead?.({ connectionId: this.options.connectionId, outcome: 'hit', ageMs: Math.max(0, ageMs), ttlMs: this.cache.ttlMs - ageMs });
          return this.fresh(read!.response);
        }
      }
      return this.joinOrSend(key, ctx, stored, (shared) => this.send(url, req.method, pathname, headers, body, maxRetries, shared, req.circuit !== false));
    }
    // Reads a caller keeps to itself (HEAD, passthrough GETs) change nothing another read could answer.
    if (req.method === 'HEAD' || req.method === 'GET') return this.send(url, req.method, pathname, headers, body, maxRetries, ctx, req.circuit !== false);
    try {
      return await this.send(url, req.method, pathname, headers, body, maxRetries, ctx, req.circuit !== false);
    } finally {
      // A write may change what any read of the connection answers: reads from now on start afresh, on every instance.
      await this.invalidate();
    }
  }

  /** Forgets every read kept or in flight, so that later reads see what a write or a pushed event changed. */
  async invalidate(): Promise<void> {
    this.forgetFlights();
    await this.cache?.store.invalidate(this.options.connectionId);
  }

  /** Forgets the reads in flight only (another instance invalidated the shared cache). */
  forgetFlights(): void {
    this.generation += 1;
    this.flights = Object.create(null) as Record<string, Flight>;
    this.options.onForget?.();
  }

  /**
   * Identical reads in flight become one vendor call. It carries the first caller's request id and
   * budget key; it is cancelled only when every caller has gone, and each caller can leave on its own.
   */
  private joinOrSend(key: string, ctx: CallContext, storeGeneration: number, send: (ctx: CallContext) => Promise<HttpResponse>): Promise<HttpResponse> {
    // A caller who wants live data does not join a read that left before it asked.
    let flight: Flight | undefined = ctx.noCache ? undefined : this.flights[key];
    ctx.recordRead?.({ connectionId: this.options.connectionId, outcome: flight ? 'collapsed' : ctx.noCache ? 'bypass' : 'miss', ageMs: 0 });
    if (!flight) {
      const created: Flight = startShared(ctx, send);
      flight = created;
      this.flights[key] = created;
      const generation = this.generation;
      const done = () => {
        if (this.flights[key] === created) delete this.flights[key];
      };
      created.promise.then((response) => {
        done();
        // Kept only when nothing was invalidated meanwhile: a write's caller must not read what preceded it.
        if (this.cache && response.status === 200 && generation === this.generation) {
          void this.cache.store.set(this.options.connectionId, key, { response: this.fresh(response), storedAt: Date.now() }, storeGeneration, this.cache.ttlMs);
        }
      }, done);
    }
    return awaitShared(flight, ctx.signal);
  }

  private async send(url: string, method: HttpRequest['method'], pathname: string, headers: Record<string, string>, body: string | Buffer | undefined, maxRetries: number, ctx: CallContext, countsForCircuit: boolean): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const admitted = this.admit(ctx);
      const probe = typeof admitted === 'boolean' ? admitted : await admitted;
      let response: HttpResponse | undefined;
      let failure: GatewayError | undefined;
      const started = performance.now();
      try {
        response = await this.once(url, method, headers, body, ctx);
      } catch (error) {
        failure = this.toGatewayError(error);
      }
      this.budget?.release();
      if (countsForCircuit) this.settle(probe, failure, response);
      else this.circuit.release(probe);
      this.options.onCall?.({
        connectionId: this.options.connectionId,
        provider: this.options.provider,
        requestId: ctx.requestId,
        method,
        path: pathname,
        status: response?.status ?? failure?.upstreamStatus,
        error: failure?.type,
        durationMs: performance.now() - started,
        attempt,
      });
      const retryAfter = response ? parseRetryAfter(response.headers['retry-after']) : undefined;
      // The vendor's limit is about the whole account: after its 429, or an answer whose rate-limit headers
      // report the window spent, every call of the connection holds back, not just this one. No vendor
      // documents such headers (none of the five references names one), so the configured budget stays
      // the rule and the headers only add pauses when a vendor sends them.
      const vendorPause = response ? rateLimitPauseMs(response.status, response.headers, Date.now()) : undefined;
      if (vendorPause !== undefined || response?.status === 429) this.budget?.pause(vendorPause ?? 1000);
      // 501 says the vendor does not implement the call: asking again cannot change that.
      const retryable = failure ? failure.type !== 'upstream_error' : response!.status === 429 || (response!.status >= 500 && response!.status !== 501);
      const pausedTooLong = response?.status === 429 && vendorPause !== undefined && vendorPause > this.options.maxBudgetWaitMs;
      if (!retryable || attempt >= maxRetries || ctx.signal?.aborted || pausedTooLong) {
        if (failure) throw failure;
        return response!;
      }
      // After a 429 the budget's pause is the wait; the queue then answers 429 itself if it outlasts the caller.
      const wait = response?.status === 429 && this.budget ? 0 : retryAfter !== undefined ? retryAfter * 1000 : this.options.backoffMs * 2 ** attempt * (0.5 + Math.random());
      if (ctx.deadline !== undefined && Date.now() + wait >= ctx.deadline) {
        if (failure) throw failure;
        return response!;
      }
      if (wait > 0) await delay(wait, ctx.signal);
    }
  }

  /**
   * Opens a vendor event stream: the headers must come within the client's timeout, then each chunk of
   * the body within `idleTimeoutMs` (the vendor's keep-alives reset it). Not retried: whoever holds the
   * stream decides when to open it again. A non-2xx answer is read whole and returned as a response, so
   * the provider maps it like any other. The opening counts for the budget and the circuit.
   */
  async openStream(req: Omit<HttpRequest, 'json' | 'form' | 'body' | 'idempotent' | 'retries' | 'shared'>, ctx: CallContext, idleTimeoutMs: number): Promise<{ stream: HttpStream } | { response: HttpResponse }> {
    const qs = queryString(req.query);
    const path = req.path.startsWith('/') ? req.path : `/${req.path}`;
    const url = `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': ctx.requestId, ...(req.headers ?? {}) };
    const probe = await this.admit(ctx);
    this.budget?.release();
    const started = performance.now();
    const controller = new AbortController();
    const callerGone = () => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', callerGone, { once: true });
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciRequest(url, { method: req.method as Dispatcher.HttpMethod, headers, dispatcher: this.agent, signal: controller.signal, headersTimeout: this.options.timeoutMs, bodyTimeout: idleTimeoutMs });
    } catch (error) {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', callerGone);
      const failure = controller.signal.aborted && !ctx.signal?.aborted ? new GatewayError('upstream_timeout', `The vendor did not answer within ${this.options.timeoutMs} ms.`, this.attribution()) : this.toGatewayError(error);
      this.settle(probe, failure, undefined);
      this.options.onCall?.({ ...this.attributionOf, requestId: ctx.requestId, method: req.method, path, error: failure.type, durationMs: performance.now() - started, attempt: 0 });
      throw failure;
    }
    clearTimeout(timer);
    const responseHeaders = flattenHeaders(res.headers as Record<string, string | string[] | undefined>);
    this.options.onCall?.({ ...this.attributionOf, requestId: ctx.requestId, method: req.method, path, status: res.statusCode, durationMs: performance.now() - started, attempt: 0 });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      ctx.signal?.removeEventListener('abort', callerGone);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxResponseBytes) {
          res.body.destroy();
          throw new GatewayError('upstream_error', `The vendor's answer is larger than ${this.options.maxResponseBytes} bytes.`, { upstreamStatus: res.statusCode, ...this.attribution() });
        }
        chunks.push(chunk as Buffer);
      }
      const response = new VendorResponse(res.statusCode, responseHeaders, Buffer.concat(chunks), this.attribution());
      this.settle(probe, undefined, response);
      return { response };
    }
    this.settle(probe, undefined, { status: res.statusCode } as HttpResponse);
    const body = res.body;
    const close = () => {
      ctx.signal?.removeEventListener('abort', callerGone);
      body.destroy();
    };
    const limit = this.options.maxResponseBytes;
    const toError = (error: unknown) => {
      if (error instanceof undiciErrors.BodyTimeoutError) return new GatewayError('upstream_timeout', `The vendor stream sent nothing for ${idleTimeoutMs} ms.`, this.attribution());
      return controller.signal.aborted ? new GatewayError('upstream_timeout', 'The vendor stream was closed by devicegate.', this.attribution()) : this.toGatewayError(error);
    };
    const attribution = this.attribution();
    async function* lines(): AsyncGenerator<string> {
      let pending = '';
      try {
        for await (const chunk of body) {
          pending += (chunk as Buffer).toString('utf8');
          let end: number;
          while ((end = pending.indexOf('\n')) >= 0) {
            yield pending.slice(0, end).replace(/\r$/, '');
            pending = pending.slice(end + 1);
          }
          if (pending.length > limit) throw new GatewayError('upstream_error', `A line of the vendor's stream is longer than ${limit} bytes.`, attribution);
        }
      } catch (error) {
        throw toError(error);
      } finally {
        close();
      }
      if (pending.length > 0) yield pending;
    }
    return { stream: { status: res.statusCode, headers: responseHeaders, lines, close } };
  }

  /** The circuit's state, for `GET /v1/connections/{id}`. */
  circuitSnapshot(): CircuitSnapshot {
    return this.circuit.snapshot();
  }

  /** Another instance's circuit of this connection opened or closed. */
  adoptCircuit(state: 'open' | 'closed', retryInMs: number): void {
    this.circuit.adopt(state, retryInMs);
  }

  /**
   * Lets a call out when the circuit is not open and the vendor budget has room, waiting briefly for it
   * if needed. Answers whether the call is the circuit's probe; synchronously when nothing has to wait.
   */
  private admit(ctx: CallContext): boolean | Promise<boolean> {
    const gate = this.circuit.acquire();
    if (!gate.allowed) {
      throw new GatewayError('upstream_unavailable', 'The connection is failing repeatedly; devicegate holds calls back until the vendor recovers.', {
        ...this.attribution(),
        retryAfter: Math.max(1, Math.ceil(gate.retryInMs / 1000)),
      });
    }
    if (!this.budget) return gate.probe;
    const longest = Math.min(this.options.maxBudgetWaitMs, ctx.deadline === undefined ? Infinity : ctx.deadline - Date.now());
    const place = this.budget.acquire(ctx.clientKey ?? '', longest, ctx.signal);
    if (place === true) return gate.probe;
    return place.then(
      () => gate.probe,
      (error: unknown) => {
        this.circuit.release(gate.probe);
        throw error;
      },
    );
  }

  /** Feeds a call's outcome to the circuit: 5xx answers, timeouts and network failures count against the vendor. */
  private settle(probe: boolean, failure: GatewayError | undefined, response: HttpResponse | undefined): void {
    const vendorFailed = failure ? failure.type !== 'upstream_error' || failure.upstreamStatus === undefined || failure.upstreamStatus >= 500 : response!.status >= 500;
    if (failure?.type === 'upstream_timeout' && failure.message.includes('cancelled')) return this.circuit.release(probe);
    if (vendorFailed) this.circuit.failure();
    else this.circuit.success();
  }

  private async once(url: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, ctx: CallContext): Promise<HttpResponse> {
    const started = performance.now();
    let call: VendorCall | undefined;
    let timedOut = false;
    // One timer per call: the whole call, body included, ends by the timeout.
    const timer = setTimeout(() => {
      timedOut = true;
      call?.abort(new undiciErrors.RequestAbortedError());
    }, this.options.timeoutMs);
    const callerGone = ctx.signal ? () => call?.abort(ctx.signal!.reason instanceof Error ? ctx.signal!.reason : new undiciErrors.RequestAbortedError()) : undefined;
    try {
      const { origin, path } = splitTarget(url, this.origin);
      const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        call = new VendorCall(this.options.maxResponseBytes, (status) => this.tooLarge(status), resolve, reject);
        if (callerGone) {
          if (ctx.signal!.aborted) callerGone();
          else ctx.signal!.addEventListener('abort', callerGone, { once: true });
        }
        this.agent.dispatch({ origin, path, method: method as Dispatcher.HttpMethod, headers, body }, call);
      });
      return new VendorResponse(answer.status, flattenHeaders(answer.headers), answer.body, this.attribution());
    } catch (error) {
      if (timedOut && !(error instanceof GatewayError)) {
        throw new GatewayError('upstream_timeout', `The vendor did not answer within ${this.options.timeoutMs} ms.`, this.attribution());
      }
      // The caller went away: nothing is known about the vendor's health, whatever undici made of it.
      if (call?.aborted && !(error instanceof GatewayError)) throw new GatewayError('upstream_timeout', 'The vendor call was cancelled before it finished.', this.attribution());
      throw error;
    } finally {
      clearTimeout(timer);
      if (callerGone) ctx.signal!.removeEventListener('abort', callerGone);
      ctx.recordUpstream(performance.now() - started);
    }
  }

  /**
   * The answer as the read cache keeps and hands it out: a new response on the same body, without the parse
   * its callers made, so that a parse lives only as long as they do. The cache counts body bytes, and a
   * parsed body takes about as much again on the heap.
   */
  private fresh(response: HttpResponse): HttpResponse {
    return new VendorResponse(response.status, response.headers, response.body, this.attribution());
  }

  private tooLarge(status: number): GatewayError {
    return new GatewayError('upstream_error', `The vendor's answer is larger than ${this.options.maxResponseBytes} bytes.`, {
      upstreamStatus: status,
      ...this.attribution(),
    });
  }

  private attribution(): { connectionId: string; provider: string } {
    return this.attributionOf;
  }

  private toGatewayError(error: unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
      return new GatewayError('upstream_timeout', `The vendor did not answer within ${this.options.timeoutMs} ms.`, this.attribution());
    }
    if ((error as Error)?.name === 'AbortError') {
      return new GatewayError('upstream_timeout', 'The vendor call was cancelled before it finished.', this.attribution());
    }
    // Connection refused, reset, DNS: the host is unreachable. The message names no URL, so no credential in a query can leak.
    const code = (error as { code?: string })?.code;
    return new GatewayError('upstream_unavailable', `The vendor could not be reached${code ? ` (${code})` : ''}.`, { ...this.attribution(), cause: error });
  }

  /**
   * Response headers safe to hand back to a caller: hop-by-hop and credential headers removed — the usual
   * ones, the client's `secretHeaders`, and `credentials`, the lower-case names of the headers that
   * authenticated this call (a vendor that echoes one must not hand it on).
   */
  safeResponseHeaders(headers: Record<string, string>, credentials: readonly string[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    this.secretHeaderNames ??= new Set(['set-cookie', 'www-authenticate', 'authorization', 'proxy-authorization', ...this.options.secretHeaders.map((h) => h.toLowerCase())]);
    for (const key in headers) {
      if (HOP_BY_HOP.has(key) || this.secretHeaderNames.has(key) || key === 'content-length' || credentials.includes(key)) continue;
      out[key] = headers[key];
    }
    return out;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
