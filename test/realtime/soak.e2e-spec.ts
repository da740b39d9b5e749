import { runSoak } from '../../bench/soak.js';

/**
 * The soak of issue 19 against the built gateway with `npm start`'s heap cap. What it asserts does not
 * depend on the machine's speed: the gateway stays up, under its heap cap, and answers `/healthz`
 * every time. How fast it answers is `npm run soak`'s to measure.
 */
describe('soak: 50 streams that never read over 50,000 events, and megabytes of nested JSON on public routes', () => {
  it('leaves the gateway running, under its heap cap, answering /healthz', async () => {
    const result = await runSoak();
    expect(result.streamsOpened).toBe(50);
    expect(result.nestedBytes).toBeGreaterThanOrEqual(5_000_000);
    // Refused before parsing (400), unauthenticated (401) or held off (429); never a crash or a cut connection.
    for (const status of result.nestedStatuses) expect([400, 401, 413, 429]).toContain(status);
    expect(result.alive).toBe(true);
    expect(result.heapUsedBytes).toBeLessThan(result.heapCapBytes);
    expect(result.during.failures).toBe(0);
    expect(result.after).toMatchObject({ samples: 200, failures: 0 });
  }, 240_000);
});
