import { createHmac } from 'node:crypto';
import type { CallContext } from '@devicegate/core';
import { expectArray, expectObject, TokenCache, type HttpClient, type HttpRequest, type HttpResponse, type HttpStream } from '@devicegate/http-client';
import { shapeError, tokenError, vendorError, type ErrorAttribution } from './disruptive.errors.js';
import type {
  DtBatchUpdateBody,
  DtBatchUpdateResponse,
  DtDevice,
  DtDeviceList,
  DtDeviceListQuery,
  DtEventList,
  DtEventListQuery,
  DtProject,
  DtProjectList,
  DtTokenResponse,
  DtTransferResponse,
} from './disruptive.types.js';

/** DT's identity endpoint (§2.2); also the JWT's `aud`. */
export const DEFAULT_TOKEN_URL = 'https://identity.disruptive-technologies.com/oauth2/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** How a connection authenticates (§2.1–2.2). */
export type DisruptiveAuth = OAuth2Auth | { mode: 'basic'; keyId: string; secret: string };

export interface OAuth2Auth {
  mode: 'oauth2';
  keyId: string;
  secret: string;
  email: string;
  tokenUrl: string;
}

/** Lifetime asked for in the assertion; DT allows at most one hour (§2.2). */
const ASSERTION_LIFETIME_S = 3600;
/** The assertion's `iat` is back-dated a little so that a slightly fast identity clock does not reject it. */
const CLOCK_SKEW_S = 5;
/** Assumed token lifetime when the answer has no `expires_in` (DT documents one hour). */
const DEFAULT_TOKEN_TTL_S = 3600;

/**
 * A single resource the account cannot see: 404, or 403 from a role that does not reach its project.
 * Either way it is not part of this connection. (401 stays an auth failure.)
 */
const invisible = (res: HttpResponse): boolean => res.status === 404 || res.status === 403;

/** The HS256 JWT of the JWT-bearer exchange: `kid` = key id, `iss` = service-account email, `aud` = token URL. */
export function signAssertion(auth: Omit<OAuth2Auth, 'mode'>, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000) - CLOCK_SKEW_S;
  const header = { alg: 'HS256', kid: auth.keyId, typ: 'JWT' };
  const claims = { iat, exp: iat + ASSERTION_LIFETIME_S, aud: auth.tokenUrl, iss: auth.email };
  const encode = (part: object) => Buffer.from(JSON.stringify(part), 'utf8').toString('base64url');
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = createHmac('sha256', auth.secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * The wire calls of one DT connection. Every call is authenticated here (Basic or bearer); a 401 to a
 * cached bearer token drops it and repeats the call once with a fresh one. Non-2xx answers become
 * GatewayErrors; bodies that do not fit the reference become `upstream_error`.
 */
export class DisruptiveClient {
  private readonly tokens?: TokenCache;

  constructor(
    private readonly http: HttpClient,
    private readonly auth: DisruptiveAuth,
    private readonly who: ErrorAttribution,
  ) {
    if (auth.mode === 'oauth2') this.tokens = new TokenCache((ctx) => this.exchangeToken(auth, ctx));
  }

  /** Headers that authenticate any API call of this connection (passthrough too). */
  async authHeaders(ctx: CallContext): Promise<Record<string, string>> {
    return { authorization: await this.authorization(ctx) };
  }

  async listProjects(query: { organization?: string; page_size: number; page_token?: string }, ctx: CallContext): Promise<DtProjectList> {
    const res = this.ok(await this.send({ method: 'GET', path: '/projects', query: { ...query } }, ctx));
    const body = this.json<DtProjectList>(res, 'project list');
    expectArray(body.projects, this.who, res.status, 'project list');
    return body;
  }

  /** A project, or undefined when the account cannot see it. */
  async findProject(projectId: string, ctx: CallContext): Promise<DtProject | undefined> {
    const res = await this.send({ method: 'GET', path: `/projects/${encodeURIComponent(projectId)}` }, ctx);
    if (invisible(res)) return undefined;
    return this.json<DtProject>(this.ok(res), 'project');
  }

  /** A device list page; `projectId` may be `-` (with `organization`). A 404 (unknown project) is returned as undefined. */
  async listDevices(projectId: string, query: DtDeviceListQuery, ctx: CallContext): Promise<DtDeviceList | undefined> {
    const res = await this.send({ method: 'GET', path: `/projects/${encodeURIComponent(projectId)}/devices`, query: { ...query } }, ctx);
    if (res.status === 404) return undefined;
    const body = this.json<DtDeviceList>(this.ok(res), 'device list');
    expectArray(body.devices, this.who, res.status, 'device list');
    return body;
  }

  /** A device, or undefined when the account cannot see it. `projectId` may be `-` (any project the account sees). */
  async findDevice(projectId: string, deviceId: string, ctx: CallContext): Promise<DtDevice | undefined> {
    const res = await this.send({ method: 'GET', path: `/projects/${encodeURIComponent(projectId)}/devices/${encodeURIComponent(deviceId)}` }, ctx);
    if (invisible(res)) return undefined;
    return this.json<DtDevice>(this.ok(res), 'device');
  }

  /** A page of a device's event history, or undefined when the vendor says 404. */
  async listEvents(projectId: string, deviceId: string, query: DtEventListQuery, ctx: CallContext): Promise<DtEventList | undefined> {
    const path = `/projects/${encodeURIComponent(projectId)}/devices/${encodeURIComponent(deviceId)}/events`;
    const res = await this.send({ method: 'GET', path, query: { ...query } }, ctx);
    if (res.status === 404) return undefined;
    const body = this.json<DtEventList>(this.ok(res), 'event list');
    expectArray(body.events, this.who, res.status, 'event list');
    return body;
  }

  async batchUpdate(projectId: string, body: DtBatchUpdateBody, ctx: CallContext): Promise<DtBatchUpdateResponse> {
    // Setting and removing labels gives the same result when repeated, so a lost answer may be retried.
    const res = await this.send({ method: 'POST', path: `/projects/${encodeURIComponent(projectId)}/devices:batchUpdate`, json: body, idempotent: true }, ctx);
    return this.json<DtBatchUpdateResponse>(this.ok(res), 'batchUpdate answer');
  }

  /** Moves devices into `targetProjectId`. A 404 means the target project does not exist (§3.2); it is returned as undefined. */
  async transfer(targetProjectId: string, devices: string[], ctx: CallContext): Promise<DtTransferResponse | undefined> {
    const res = await this.send({ method: 'POST', path: `/projects/${encodeURIComponent(targetProjectId)}/devices:transfer`, json: { devices } }, ctx);
    if (res.status === 404) return undefined;
    return this.json<DtTransferResponse>(this.ok(res), 'transfer answer');
  }

  /**
   * Opens a project's event stream (§7) with a keep-alive every `pingSeconds`; the stream counts as dead
   * after `idleMs` without a line (DT's python client: the ping interval plus 2 s). A refusal becomes a
   * GatewayError; a 401 to a cached token is asked once more with a fresh one, as for any call.
   */
  async openStream(projectId: string, pingSeconds: number, idleMs: number, ctx: CallContext): Promise<HttpStream> {
    const open = (authorization: string) =>
      this.http.openStream({ method: 'GET', path: `/projects/${encodeURIComponent(projectId)}/devices:stream`, query: { ping_interval: `${pingSeconds}s` }, headers: { authorization } }, ctx, idleMs);
    const opened = this.tokens
      ? await this.tokens.send(ctx, (token) => open(`Bearer ${token}`), (result) => 'response' in result && result.response.status === 401)
      : await open(await this.authorization(ctx));
    if ('response' in opened) throw vendorError(opened.response, this.who, this.secrets());
    return opened.stream;
  }

  private async authorization(ctx: CallContext): Promise<string> {
    if (!this.tokens) return `Basic ${Buffer.from(`${this.auth.keyId}:${this.auth.secret}`, 'utf8').toString('base64')}`;
    return `Bearer ${await this.tokens.get(ctx)}`;
  }

  /**
   * Sends an authenticated call; a 401 to a cached bearer token is answered once more with a fresh token.
   * DT's 403 means a role that does not reach the resource (§2.3, §3.6), which a new token would not change.
   */
  private async send(req: HttpRequest, ctx: CallContext): Promise<HttpResponse> {
    const call = (authorization: string) => this.http.request({ ...req, headers: { ...req.headers, authorization } }, ctx);
    if (!this.tokens) return call(await this.authorization(ctx));
    return this.tokens.send(ctx, (token) => call(`Bearer ${token}`), (res) => res.status === 401);
  }

  /** The JWT-bearer exchange (§2.2): a form POST to the token URL with a freshly signed assertion. */
  private async exchangeToken(auth: OAuth2Auth, ctx: CallContext): Promise<{ token: string; ttlMs: number }> {
    const res = await this.http.request(
      {
        method: 'POST',
        path: auth.tokenUrl,
        form: { grant_type: JWT_BEARER_GRANT, assertion: signAssertion(auth, Date.now()) },
        // A repeated exchange only mints another token, so network failures and 5xx may be retried.
        idempotent: true,
      },
      ctx,
    );
    if (res.status < 200 || res.status >= 300) throw tokenError(res, this.who, this.secrets());
    const body = this.json<DtTokenResponse>(res, 'token answer');
    expectObject(body, this.who, res.status, 'token answer', (token) => typeof token.access_token === 'string' && token.access_token !== '');
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_TTL_S;
    return { token: body.access_token, ttlMs: ttl * 1000 };
  }

  private ok(res: HttpResponse): HttpResponse {
    if (res.status < 200 || res.status >= 300) throw vendorError(res, this.who, this.secrets());
    return res;
  }

  /** Values that must never show in an error message: the key, its Basic form and the current token. */
  secrets(): string[] {
    const { keyId, secret } = this.auth;
    const out = [keyId, secret, Buffer.from(`${keyId}:${secret}`, 'utf8').toString('base64')];
    if (this.auth.mode === 'oauth2') out.push(this.auth.email);
    out.push(...(this.tokens?.recentTokens() ?? []));
    return out;
  }

  private json<T>(res: HttpResponse, what: string): T {
    let body: unknown;
    try {
      body = res.json();
    } catch {
      throw shapeError(this.who, res.status, `${what} is not JSON`);
    }
    return expectObject<T>(body, this.who, res.status, what);
  }
}
