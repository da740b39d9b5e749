import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';

const PUSH_SECRET = 'hw-limits-push-secret';

const job = (body: string) =>
  `{"message":{"id":"018eebbe-0000-7000-8000-00000000abcd","type":"data","direction":"up","created_at":"2024-04-17T11:08:27.917Z","body":${body}},"device":{"id":"018a1535-fd39-7293-bd36-52df3e62e962","name":"meteo","serial_number":"2159020389"}}`;

describe('/v1/hooks is public: deep nesting and floods of refused pushes are cheap to answer', () => {
  let gw: RunningGateway;
  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    gw = await startGateway({
      server: { refused_hooks_per_minute: 5 },
      clients: [{ name: 'ops', key_sha256: sha256hex('ops-key'), scopes: ['read'] }],
      connections: [{ id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, push: { secret: PUSH_SECRET }, base_url: 'http://127.0.0.1:9' }],
    });
  });

  afterAll(() => gw.close());

  it('refuses a body nested deeper than 64 levels before parsing it, even with the right secret, and takes one nested 64 deep', async () => {
    const auth = { authorization: `Bearer ${PUSH_SECRET}` };
    const deep = await post('/v1/hooks/hw', job(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), auth);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ type: 'validation_error', fields: [{ name: 'body', message: 'is nested more than 64 levels deep' }] });
    // The message body sits 2 levels down: 62 more arrays make 64.
    const fine = await post('/v1/hooks/hw', job(`{"v":${'['.repeat(61)}1${']'.repeat(61)}}`), auth);
    expect(fine.status).toBe(202);
  });

  it('answers a source 429 once it has had its refused pushes, before reading what it sends', async () => {
    // The nested body above was the first refusal of this source (loopback); four more use the rest.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(i % 2 ? '/v1/hooks/nosuch' : '/v1/hooks/hw', job('{}'), { authorization: 'Bearer wrong-secret' })).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    const flooded = await post('/v1/hooks/hw', job('{}'), { authorization: 'Bearer wrong-secret' });
    expect(flooded.status).toBe(429);
    expect(Number(flooded.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await flooded.json()).toMatchObject({ type: 'rate_limited' });
    // Everything from that source waits, a correct push included; other routes are not affected.
    expect((await post('/v1/hooks/hw', job('{}'), { authorization: `Bearer ${PUSH_SECRET}` })).status).toBe(429);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
