import { Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';

describe('hot metrics', () => {
  it('counts per label set and prints like a prom-client counter', async () => {
    const registry = new Registry();
    const counter = new HotCounter('test_calls_total', 'Calls.');
    registry.registerMetric(counter as unknown as Metric);
    const ok = counter.cell({ route: '/a', status: '200' });
    expect(counter.cell({ route: '/a', status: '200' })).toBe(ok);
    ok.inc();
    ok.inc();
    counter.cell({ route: '/a', status: '404' }).inc();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_calls_total counter');
    expect(text).toContain('test_calls_total{route="/a",status="200"} 2');
    expect(text).toContain('test_calls_total{route="/a",status="404"} 1');
  });

  it('keeps histogram buckets cumulative, with +Inf, sum and count', async () => {
    const registry = new Registry();
    const histogram = new HotHistogram('test_seconds', 'Time.', [0.01, 0.1, 1]);
    registry.registerMetric(histogram as unknown as Metric);
    const cell = histogram.cell({ route: '/a' });
    for (const value of [0.005, 0.01, 0.05, 0.5, 3]) cell.observe(value);
    const lines = (await registry.metrics()).split('\n').filter((line) => line.startsWith('test_seconds'));
    const value = (needle: string) => Number(lines.find((line) => line.includes(needle))?.split(' ').pop());
    // A value equal to a bound falls in that bound's bucket, as in Prometheus (`le`).
    expect(value('le="0.01"')).toBe(2);
    expect(value('le="0.1"')).toBe(3);
    expect(value('le="1"')).toBe(4);
    expect(value('le="+Inf"')).toBe(5);
    expect(value('test_seconds_count')).toBe(5);
    expect(value('test_seconds_sum')).toBeCloseTo(3.565, 10);
    expect(lines.every((line) => line.includes('route="/a"'))).toBe(true);
  });
});
