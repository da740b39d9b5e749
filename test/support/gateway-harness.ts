import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../apps/gateway/src/app.setup.js';
import { buildConfig } from '../../apps/gateway/src/config/config.loader.js';
import type { GatewayConfig } from '../../apps/gateway/src/config/config.types.js';
import { createProviderRegistry } from '../../apps/gateway/src/providers.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../apps/gateway/src/sandbox/sandbox.js';

export const sha256hex = (key: string) => createHash('sha256').update(key).digest('hex');

export interface RunningGateway {
  url: string;
  app: NestFastifyApplication;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** Starts the gateway on a free loopback port with a configuration document (as the YAML file would hold it). */
export async function startGateway(document: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<RunningGateway> {
  const providers = createProviderRegistry();
  // Events and webhooks in memory, unless a test names a data directory.
  const server = (document.server ?? {}) as Record<string, unknown>;
  const config = buildConfig({ ...document, server: { data_dir: ':memory:', ...server } }, providers, { ...env, PORT: '0' });
  const app = await createApp(config, providers, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, app, config, close: () => app.close() };
}

export interface RunningSandbox extends RunningGateway {
  sandbox: Sandbox;
}

/** The gateway in sandbox mode, as `npm start` runs it without configuration, on a free port. */
export async function startSandboxGateway(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const providers = createProviderRegistry();
  // Quiet unless a test asks for a live sandbox: events arrive only when a test makes them.
  const sandbox = await startSandbox(providers, { liveEveryMs: 0, ...options });
  const app = await createApp({ ...sandbox.config, server: { ...sandbox.config.server, port: 0 } }, providers, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  await sandbox.connectPush(`http://127.0.0.1:${address.port}`);
  await streamsConnected(`http://127.0.0.1:${address.port}`, sandbox.config.connections.filter((c) => c.push?.mode === 'pull').map((c) => c.id));
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    config: sandbox.config,
    sandbox,
    close: async () => {
      await app.close();
      await sandbox.close();
    },
  };
}

/** Waits (generously) until every named connection's pulled stream is open, so an event made next cannot pass before it. */
export async function streamsConnected(url: string, connectionIds: string[], headers: Record<string, string> = { authorization: 'Bearer sandbox' }, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (const id of connectionIds) {
    for (;;) {
      const res = await fetch(`${url}/v1/connections/${id}`, { headers });
      const state = ((await res.json()) as { stream?: { state?: string } | null }).stream?.state;
      if (state === 'connected') break;
      if (Date.now() > until) throw new Error(`the stream of ${id} is ${state ?? 'absent'}, not connected`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface ListPageBody<T = Record<string, unknown>> {
  object: 'list';
  limit: number;
  after: string | null;
  order: string;
  has_more: boolean;
  total_count?: number;
  data: T[];
}

/**
 * Pages a list to its end with `after`, checking the page rules on the way; returns the ids in order.
 * Like any client it waits and asks again when the key's rate limit answers 429 (the sandbox key
 * allows 50 requests a second, which a test paging as fast as it can does exceed).
 */
export async function pageThrough(
  get: (query: Record<string, string>) => Promise<{ status: number; body: ListPageBody }>,
  query: Record<string, string>,
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  let throttled = 0;
  for (let guard = 0; guard < 5000; guard++) {
    const { status, body } = await get({ ...query, ...(after ? { after } : {}) });
    if (status === 429 && (body as unknown as { type?: string }).type === 'rate_limited' && throttled++ < 20) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (status !== 200) throw new Error(`page answered ${status}: ${JSON.stringify(body)}`);
    if (body.has_more && body.data.length !== body.limit) throw new Error(`a page before the last has ${body.data.length} items, not ${body.limit}`);
    ids.push(...body.data.map((item) => String(item.id)));
    if (!body.has_more) return ids;
    after = ids[ids.length - 1];
  }
  throw new Error('paging did not end');
}
