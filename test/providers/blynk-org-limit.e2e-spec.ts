import { backgroundContext, type ConnectionConfig, type ListQuery } from '@devicegate/core';
import { startBlynkEmulator, type BlynkEmulator } from '@devicegate/emulators/blynk';
import { HttpClient } from '@devicegate/http-client';
import { blynkProvider, type BlynkSettings } from '@devicegate/providers/blynk';

/**
 * Blynk counts its limit per organization, devicegate per connection: two connections to one organization
 * together can exceed it. The vendor's 429 (it sends no Retry-After) must then hold the refused connection
 * back for a while instead of letting every caller hit the vendor again.
 */

const clients: HttpClient[] = [];
let emu: BlynkEmulator;

function connect(id: string) {
  const config: ConnectionConfig<BlynkSettings> = {
    id,
    provider: 'blynk',
    display_name: id,
    base_url: emu.baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: blynkProvider.defaultRateLimit,
    circuit: { failure_threshold: 50, open_seconds: 30 },
    settings: { org_id: String(emu.orgId) },
    credentials: { client_id: emu.credentials.clientId, client_secret: emu.credentials.clientSecret },
  };
  // Nothing waits for the budget here: a held-back call is refused at once.
  const http = new HttpClient({ baseUrl: emu.baseUrl, timeoutMs: 5000, retries: 0, connectionId: id, provider: 'blynk', budget: config.rate_limit, maxBudgetWaitMs: 0 });
  clients.push(http);
  return blynkProvider.create(config, { http });
}

const ctx = () => backgroundContext('org-limit');
const page: ListQuery = { filters: [], order: 'ASC', pageSize: 2, includeTotal: false };

beforeAll(async () => {
  emu = await startBlynkEmulator({ rateLimitPerMinute: false });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
});

it("holds a connection back after the organization's 429, then lets it go again", async () => {
  const a = connect('blynk-a');
  const b = connect('blynk-b');
  await a.devices.fetchPage(page, null, ctx());
  await b.devices.fetchPage(page, null, ctx());

  // The other connection has spent the organization's minute.
  emu.setRateLimit(0);
  const vendorCalls = () => emu.requests().filter((r) => r.path !== '/oauth2/token').length;
  const before = vendorCalls();
  await expect(b.devices.fetchPage(page, null, ctx())).rejects.toMatchObject({ type: 'upstream_rate_limited', upstreamStatus: 429, connectionId: 'blynk-b' });
  await expect(b.devices.fetchPage(page, null, ctx())).rejects.toMatchObject({ type: 'upstream_rate_limited', connectionId: 'blynk-b' });
  expect(vendorCalls() - before).toBe(1);

  emu.setRateLimit(false);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await b.devices.fetchPage(page, null, ctx())).items).toHaveLength(2);
});
