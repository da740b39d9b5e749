import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ProviderId } from '@devicegate/core';
import { ERROR_TYPES } from '@devicegate/errors';
import { createApp } from '../../apps/gateway/src/app.setup.js';
import { buildConfig } from '../../apps/gateway/src/config/config.loader.js';
import { createLogger } from '../../apps/gateway/src/ops/logger.js';
import { createProviderRegistry } from '../../apps/gateway/src/providers.js';
import { startSandbox, type Sandbox, type SandboxEmulator } from '../../apps/gateway/src/sandbox/sandbox.js';

export const KEY = 'resilience-key';
export const AUTH = { authorization: `Bearer ${KEY}` };

/** Where each vendor's API calls live on its emulator (token endpoints excluded), as a path regex source. */
export const API_PATH: Record<ProviderId, string> = {
  hardwario: '^/v2/',
  disruptive: '^/v2/',
  iottly: '^/v1\\.0/',
  izuma: '^/v(2|3)/',
  blynk: '^/api/v1/',
};

/** The connection keys that point a connection at a sandbox emulator (the same keys sandbox mode writes). */
export function connectionFor(emulator: SandboxEmulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = emulator.credentials;
  const common = { id: emulator.connectionId, provider: emulator.provider, base_url: emulator.baseUrl, ...extra };
  switch (emulator.provider) {
    case 'hardwario':
      return { ...common, space_id: c.space_id, credentials: { api_key: c.api_key } };
    case 'disruptive':
      return { ...common, organization_id: c.organization_id, token_url: c.token_url, credentials: { key_id: c.key_id, secret: c.secret, email: c.email } };
    case 'iottly':
      return { ...common, project_id: c.project_id, credentials: { api_key: c.api_key } };
    case 'izuma':
      return { ...common, credentials: { api_key: c.api_key } };
    case 'blynk':
      return { ...common, org_id: c.org_id, include_sub_orgs: true, credentials: { client_id: c.client_id, client_secret: c.client_secret } };
  }
}

/** The values of a connection's `credentials` block: what must never leave the gateway. */
export function secretsOf(emulator: SandboxEmulator): string[] {
  const block = connectionFor(emulator).credentials as Record<string, unknown>;
  return Object.values(block).map(String);
}

/** Bearer tokens and API keys the gateway sent to an emulator (OAuth access tokens included). */
export function sentCredentials(emulator: SandboxEmulator): string[] {
  const out = new Set<string>();
  for (const request of emulator.server.requests()) {
    for (const name of ['authorization', 'authentication', 'x-api-key']) {
      const value = request.headers[name];
      if (typeof value !== 'string') continue;
      const token = value.replace(/^(bearer|basic)\s+/i, '').trim();
      if (token.length >= 8) out.add(token);
    }
  }
  return [...out];
}

/** Every place a secret might hide in text: as is, URL-encoded and base64-encoded. */
export function leakForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
}

export interface TestGateway {
  url: string;
  app: NestFastifyApplication;
  sandbox: Sandbox;
  /** Every log line of the gateway, and whatever the process wrote to stdout/stderr while it ran. */
  logs(): string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  providers?: ProviderId[];
  /** Keys added to every connection (timeout_ms, retries …). */
  connection?: Record<string, unknown>;
  rateLimit?: { per_second: number; burst: number };
  scopes?: string[];
  /** Further clients besides the one of KEY. */
  clients?: Array<{ name: string; key: string; scopes: string[] }>;
  /** Further `server` keys of the configuration. */
  server?: Record<string, unknown>;
  /** Capture the gateway's logs at every level (and silence stdout/stderr while it runs). */
  captureLogs?: boolean;
}

/**
 * Sandbox emulators (vendor rate limits off) with a gateway of our own configuration in front of them,
 * listening on a free loopback port.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const registry = createProviderRegistry();
  const sandbox = await startSandbox(registry, { providers: options.providers, vendorRateLimits: false, liveEveryMs: 0 });
  const document = {
    server: { host: '127.0.0.1', rate_limit: options.rateLimit ?? { per_second: 100_000, burst: 100_000 }, ...options.server },
    clients: [
      {
        name: 'resilience',
        key_sha256: createHash('sha256').update(KEY).digest('hex'),
        scopes: options.scopes ?? ['read', 'write', 'commands', 'passthrough'],
        connections: ['*'],
      },
      ...(options.clients ?? []).map((c) => ({ name: c.name, key_sha256: createHash('sha256').update(c.key).digest('hex'), scopes: c.scopes, connections: ['*'] })),
    ],
    connections: sandbox.emulators.map((e) => connectionFor(e, options.connection ?? {})),
  };
  const chunks: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  if (options.captureLogs) {
    const capture = (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
  }
  const restore = () => {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  };
  try {
    const config = buildConfig(document, registry, { PORT: '0' });
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const app = await createApp(config, registry, { logger: options.captureLogs ? createLogger('trace', sink) : false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    return {
      url: `http://127.0.0.1:${address.port}`,
      app,
      sandbox,
      logs: () => chunks.join(''),
      close: async () => {
        try {
          await app.close();
          await sandbox.close();
        } finally {
          restore();
        }
      },
    };
  } catch (error) {
    restore();
    await sandbox.close();
    throw error;
  }
}

export const KNOWN_TYPES: ReadonlySet<string> = new Set(ERROR_TYPES);

/** A Node stack frame (`at fn (file:line:col)` or `at file:line:col`). */
export const STACK_FRAME = /\bat\s+(?:[^\s()]+\s+)?\(?(?:file:\/\/|node:|\/)[^\s()]*:\d+(?::\d+)?\)?/;

/** Checks the error object of API.md §2.4; returns problems found (empty when fine). */
export function errorBodyProblems(status: number, headers: Headers, text: string): string[] {
  const problems: string[] = [];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [`body is not JSON: ${text.slice(0, 200)}`];
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [`body is not an object: ${text.slice(0, 200)}`];
  if (body.object !== 'error') problems.push(`object is ${String(body.object)}`);
  if (body.code !== status) problems.push(`code ${String(body.code)} differs from status ${status}`);
  if (typeof body.type !== 'string' || !KNOWN_TYPES.has(body.type)) problems.push(`unknown type ${String(body.type)}`);
  if (typeof body.message !== 'string') problems.push('message is not a string');
  if (typeof body.request_id !== 'string' || body.request_id === '') problems.push('request_id is not a string');
  else if (body.request_id !== headers.get('x-request-id')) problems.push(`request_id ${body.request_id} differs from X-Request-ID ${headers.get('x-request-id')}`);
  if (typeof body.retryable !== 'boolean') problems.push('retryable is not a boolean');
  if (!String(headers.get('content-type')).startsWith('application/json')) problems.push(`content-type ${headers.get('content-type')}`);
  return problems;
}
