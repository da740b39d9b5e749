import { startGatewayPair, type GatewayPair, type PairInstance } from './support/gateway-pair.js';
import { describeWith } from './support/tools.js';

/** Vendor calls and vendor 429 answers, as the emulator counted them. */
async function vendorStats(baseUrl: string): Promise<{ requests: number; rate_limited: number }> {
  return (await (await fetch(`${baseUrl}/_emulator/stats`)).json()) as { requests: number; rate_limited: number };
}

/** Two instances on one Redis spend one vendor budget. */
describeWith('redis-server')('two instances, one vendor account', () => {
  let pair: GatewayPair;
  const get = (instance: PairInstance, path: string) => fetch(`${instance.url}${path}`, { headers: pair.headers });

  beforeAll(async () => {
    pair = await startGatewayPair({
      providers: ['disruptive', 'hardwario'],
      emulators: { deviceCount: 60 },
    });
  }, 90_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('make the vendor answer 429 zero times under a burst: 60 different-device reads on one DT account, half through each', async () => {
    const dt = pair.emulator('disruptive');
    const stats = () => vendorStats(dt.url);
    const devices = dt.deviceIds().slice(0, 60);
    expect(devices).toHaveLength(60);
    await fetch(`${dt.url}/_emulator/stats`, { method: 'DELETE' });
    const answers = await Promise.all(
      devices.map(async (id, i) => {
        const res = await get(i % 2 === 0 ? pair.a : pair.b, `/v1/devices/${pair.connectionId('disruptive')}:${id}`);
        return { status: res.status, body: (await res.json()) as { type?: string } };
      }),
    );
    const { requests, rate_limited } = await stats();
    expect(rate_limited).toBe(0);
    // DT allows 25 calls in any 5 s: the callers past what a 5 s wait allows get devicegate's own 429, not the vendor's.
    for (const answer of answers) if (answer.status !== 200) expect(answer).toMatchObject({ status: 429, body: { type: 'upstream_rate_limited' } });
    const ok = answers.filter((a) => a.status === 200).length;
    // At least the first window's worth, less each instance's token exchange (counted in the same budget).
    expect(ok).toBeGreaterThanOrEqual(23);
    expect(requests).toBeGreaterThanOrEqual(ok);
  }, 60_000);
});
