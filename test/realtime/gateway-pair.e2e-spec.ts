import { startGatewayPair, type GatewayPair } from '../support/gateway-pair.js';
import { describeWith } from '../support/tools.js';
import { START_LIMIT_MS } from '../support/start-limit.js';

/** The two-instance harness itself: two processes, one Redis, one token secret, and a hard kill. */
describeWith('redis-server')('gateway pair harness', () => {
  let pair: GatewayPair;

  beforeAll(async () => {
    pair = await startGatewayPair();
  }, START_LIMIT_MS + 60_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('runs two instances on their own data directories that accept each other\'s tokens and survive the other\'s SIGKILL', async () => {
    expect(pair.a.url).not.toBe(pair.b.url);
    expect(pair.a.dataDir).not.toBe(pair.b.dataDir);
    const minted = await fetch(`${pair.a.url}/v1/tokens`, { method: 'POST', headers: { ...pair.headers, 'content-type': 'application/json' }, body: JSON.stringify({ scopes: ['read'], ttl_seconds: 60 }) });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const onB = await fetch(`${pair.b.url}/v1/connections`, { headers: { authorization: `Bearer ${token}` } });
    expect(onB.status).toBe(200);
    expect(((await onB.json()) as { data: Array<{ id: string }> }).data.map((c) => c.id)).toEqual([pair.connectionId('hardwario')]);

    const child = pair.a.child!;
    await pair.a.kill();
    expect(child.signalCode).toBe('SIGKILL');
    expect(pair.a.child).toBeUndefined();
    expect((await fetch(`${pair.b.url}/healthz`)).status).toBe(200);

    await pair.a.start();
    expect((await fetch(`${pair.a.url}/v1/connections`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  }, START_LIMIT_MS + 60_000);
});
