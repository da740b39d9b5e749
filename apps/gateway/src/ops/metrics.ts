import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitSnapshot, VendorCallEvent } from '@devicegate/http-client';

const CIRCUIT_VALUE: Record<CircuitSnapshot['state'], number> = { closed: 0, half_open: 1, open: 2 };

/** The Prometheus metrics of one gateway process. Labels carry ids and statuses, never credentials. */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'devicegate_http_requests_total',
    help: 'Requests answered, by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'devicegate_http_request_duration_seconds',
    help: 'Time to answer a request, by route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly vendorCalls = new Counter({
    name: 'devicegate_vendor_calls_total',
    help: 'Vendor calls, by connection and outcome (the vendor status, or the error type when no answer came).',
    labelNames: ['connection', 'provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly vendorErrors = new Counter({
    name: 'devicegate_vendor_call_errors_total',
    help: 'Vendor calls that failed (5xx, timeouts, unreachable, unreadable answers), by connection.',
    labelNames: ['connection', 'provider', 'type'] as const,
    registers: [this.registry],
  });
  readonly vendorDuration = new Histogram({
    name: 'devicegate_vendor_call_duration_seconds',
    help: 'Time a vendor took to answer, by connection.',
    labelNames: ['connection', 'provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'devicegate_rate_limit_rejections_total',
    help: 'Requests refused for a rate limit: `client` (a key over its budget) or `vendor` (a connection over its vendor budget, or the vendor said 429).',
    labelNames: ['scope', 'name'] as const,
    registers: [this.registry],
  });
  private readonly circuits = new Map<string, () => CircuitSnapshot>();
  /** Labelled children by label values, so the hot path does not hash label objects per request. */
  private readonly children = new Map<string, { inc(): void } | { observe(value: number): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'devicegate_' });
    const circuits = this.circuits;
    new Gauge({
      name: 'devicegate_circuit_state',
      help: 'Circuit of each connection: 0 closed, 1 half open, 2 open.',
      labelNames: ['connection'] as const,
      registers: [this.registry],
      collect() {
        for (const [connection, snapshot] of circuits) this.set({ connection }, CIRCUIT_VALUE[snapshot().state]);
      },
    });
  }

  watchCircuit(connection: string, snapshot: () => CircuitSnapshot): void {
    this.circuits.set(connection, snapshot);
  }

  /** Counts an answered request and its duration. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.counter(`r|${method}|${route}|${status}`, () => this.requests.labels(method, route, String(status))).inc();
    this.histogram(`d|${method}|${route}`, () => this.requestDuration.labels(method, route)).observe(seconds);
  }

  vendorCall(event: VendorCallEvent): void {
    const { connectionId: connection, provider } = event;
    const outcome = event.status !== undefined ? String(event.status) : (event.error ?? 'unknown');
    this.counter(`v|${connection}|${outcome}`, () => this.vendorCalls.labels(connection, provider, outcome)).inc();
    if (event.status !== undefined) this.histogram(`vd|${connection}`, () => this.vendorDuration.labels(connection, provider)).observe(event.durationMs / 1000);
    if (event.error || (event.status !== undefined && event.status >= 500)) this.vendorErrors.inc({ connection, provider, type: event.error ?? 'upstream_error' });
  }

  private counter(key: string, make: () => { inc(): void }): { inc(): void } {
    let child = this.children.get(key) as { inc(): void } | undefined;
    if (!child) this.children.set(key, (child = make()));
    return child;
  }

  private histogram(key: string, make: () => { observe(value: number): void }): { observe(value: number): void } {
    let child = this.children.get(key) as { observe(value: number): void } | undefined;
    if (!child) this.children.set(key, (child = make()));
    return child;
  }
}
