import { backgroundContext, type ConnectionConfig } from '@devicegate/core';
import { startBlynkEmulator, type BlynkEmulator } from '@devicegate/emulators/blynk';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { blynkProvider, type BlynkConnection, type BlynkSettings } from '@devicegate/providers/blynk';

/**
 * Blynk documents no status for a revoked or expired bearer token. The emulator answers either 401 or 403 for
 * one; the provider must recover from both with one token exchange and one repeated call.
 */

const clients: HttpClient[] = [];

function connect(emu: BlynkEmulator, credentials: Record<string, string> = { client_id: emu.credentials.clientId, client_secret: emu.credentials.clientSecret }): BlynkConnection {
  const config: ConnectionConfig<BlynkSettings> = {
    id: 'blynk-refusal',
    provider: 'blynk',
    display_name: 'Blynk refusal test',
    base_url: emu.baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: blynkProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { org_id: String(emu.orgId) },
    credentials,
  };
  const http = new HttpClient({ baseUrl: config.base_url, timeoutMs: config.timeout_ms, retries: 0, connectionId: config.id, provider: 'blynk', backoffMs: 5 });
  clients.push(http);
  return blynkProvider.create(config, { http }) as BlynkConnection;
}

const ctx = () => backgroundContext('e2e');

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

describe.each([401, 403] as const)('a bearer token the vendor refuses with %i', (status) => {
  let emu: BlynkEmulator;

  beforeAll(async () => {
    emu = await startBlynkEmulator({ rateLimitPerMinute: false, refusedTokenStatus: status });
  });

  afterAll(async () => {
    await emu.close();
  });

  it.each([
    ['expired', (e: BlynkEmulator) => e.expireTokens()],
    ['revoked', (e: BlynkEmulator) => e.revokeTokens()],
  ])('is replaced once when %s, and the call succeeds', async (_what, spoil) => {
    const conn = connect(emu);
    await conn.getDevice('1001', ctx());
    const apiCalls = (from: number) => emu.requests().slice(from).filter((r) => r.path !== '/oauth2/token');
    let from = emu.requests().length;
    await conn.getDevice('1002', ctx());
    const normal = apiCalls(from).length;

    const before = emu.tokenRequestCount();
    spoil(emu);
    from = emu.requests().length;
    const device = await conn.getDevice('1003', ctx());
    expect(device.id).toBe('blynk-refusal:1003');
    expect(emu.tokenRequestCount() - before).toBe(1);
    expect(apiCalls(from).filter((r) => r.status === status)).toHaveLength(1);
    expect(apiCalls(from)).toHaveLength(normal + 1);
    // The next call needs no repetition: the new token is cached.
    from = emu.requests().length;
    await conn.getDevice('1004', ctx());
    expect(apiCalls(from)).toHaveLength(normal);
    expect(emu.tokenRequestCount() - before).toBe(1);
  });

  it('shares one exchange among concurrent calls refused at once', async () => {
    const conn = connect(emu);
    await conn.getDevice('1001', ctx());
    emu.expireTokens();
    const before = emu.tokenRequestCount();
    const devices = await Promise.all(['1001', '1002', '1003', '1004'].map((id) => conn.getDevice(id, ctx())));
    expect(devices.map((d) => d.id)).toHaveLength(4);
    expect(emu.tokenRequestCount() - before).toBe(1);
  });
});

it('passes a lasting 403 on without an exchange and a second call on every request', async () => {
  const emu = await startBlynkEmulator({ rateLimitPerMinute: false, refusedTokenStatus: 403 });
  try {
    const conn = connect(emu, { client_id: emu.credentials.noScopeClientId, client_secret: emu.credentials.noScopeClientSecret });
    for (let i = 0; i < 5; i++) {
      await expect(conn.getDevice('1001', ctx())).rejects.toMatchObject({ type: 'upstream_auth_failed', upstreamStatus: 403 } satisfies Partial<GatewayError>);
    }
    // The first call's token is fresh; the second call's cached one is replaced once, and the new one is refused too.
    expect(emu.tokenRequestCount()).toBe(2);
    expect(emu.requests().filter((r) => r.path !== '/oauth2/token')).toHaveLength(6);
  } finally {
    await emu.close();
  }
});
