import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { CircuitSnapshot, VendorCallEvent } from '@devicegate/http-client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.types.js';
import { HotCounter, HotHistogram, type CounterCell, type HistogramCell } from './hot-metrics.js';

const CIRCUIT_VALUE: Record<CircuitSnapshot['state'], number> = { closed: 0, half_open: 1, open: 2 };

/** The label value standing for every connection (or client) when names are not exposed. */
const ANY = '*';

/**
 * The Prometheus metrics of one gateway process. Labels carry ids and statuses, never credentials; the
 * endpoint is public, so connection and client names appear only with `server.expose_names` (otherwise
 * vendor metrics are per provider, with `connection="*"`).
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  // The four metrics every request touches are hot metrics (hot-metrics.ts): one cell per label set, updated in place.
  readonly requests = new HotCounter('devicegate_http_requests_total', 'Requests answered, by route and status.');
  readonly requestDuration = new HotHistogram('devicegate_http_request_duration_seconds', 'Time to answer a request, by route.', [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ]);
  readonly vendorCalls = new HotCounter(
    'devicegate_vendor_calls_total',
    'Vendor calls, by connection and outcome (the vendor status, or the error type when no answer came).',
  );
  readonly vendorErrors = new Counter({
    name: 'devicegate_vendor_call_errors_total',
    help: 'Vendor calls that failed (5xx, timeouts, unreachable, unreadable answers), by connection.',
    labelNames: ['connection', 'provider', 'type'] as const,
    registers: [this.registry],
  });
  readonly vendorDuration = new HotHistogram('devicegate_vendor_call_duration_seconds', 'Time a vendor took to answer, by connection.', [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
  ]);
  readonly rateLimited = new Counter({
    name: 'devicegate_rate_limit_rejections_total',
    help: 'Requests refused for a rate limit: `client` (a key over its budget), `auth` (a source address over its failed authentications) or `vendor` (a connection over its vendor budget, or the vendor said 429).',
    labelNames: ['scope', 'name'] as const,
    registers: [this.registry],
  });
  private readonly circuits = new Map<string, { provider: string; snapshot: () => CircuitSnapshot }>();
  private readonly names: boolean;
  /** Cells of each route (keyed by Fastify's per-route config object), then by method. */
  private readonly routeCells = new WeakMap<object, Map<string, { duration: HistogramCell; statuses: Map<number, CounterCell> }>>();
  /** Cells of each connection. */
  private readonly vendorCells = new Map<string, { duration: HistogramCell; outcomes: Map<number | string, CounterCell> }>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.names = config.server.exposeNames === true;
    for (const metric of [this.requests, this.requestDuration, this.vendorCalls, this.vendorDuration]) this.registry.registerMetric(metric as unknown as Metric);
    collectDefaultMetrics({ register: this.registry, prefix: 'devicegate_' });
    const circuits = this.circuits;
    const label = (connection: string) => this.connectionLabel(connection);
    new Gauge({
      name: 'devicegate_circuit_state',
      help: 'Circuit of each connection (without names: the most open of each provider): 0 closed, 1 half open, 2 open.',
      labelNames: ['connection', 'provider'] as const,
      registers: [this.registry],
      collect() {
        const worst = new Map<string, { connection: string; provider: string; value: number }>();
        for (const [connection, { provider, snapshot }] of circuits) {
          const labels = { connection: label(connection), provider };
          const value = CIRCUIT_VALUE[snapshot().state];
          const key = `${labels.connection}|${provider}`;
          if ((worst.get(key)?.value ?? -1) < value) worst.set(key, { ...labels, value });
        }
        for (const { value, ...labels } of worst.values()) this.set(labels, value);
      },
    });
  }

  watchCircuit(connection: string, provider: string, snapshot: () => CircuitSnapshot): void {
    this.circuits.set(connection, { provider, snapshot });
  }

  /** A key over its rate limit. */
  clientRateLimited(client: string): void {
    this.rateLimited.inc({ scope: 'client', name: this.names ? client : ANY });
  }

  /** A source address over its failed authentications (never named: it is the caller's address). */
  authRateLimited(): void {
    this.rateLimited.inc({ scope: 'auth', name: ANY });
  }

  /** A connection over its vendor budget, or told 429 by the vendor. */
  vendorRateLimited(connection: string): void {
    this.rateLimited.inc({ scope: 'vendor', name: this.connectionLabel(connection) });
  }

  private connectionLabel(connection: string): string {
    return this.names ? connection : ANY;
  }

  /** Counts an answered request and its duration. */
  request(routeKey: object, method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.routeCells.get(routeKey);
    if (!byMethod) this.routeCells.set(routeKey, (byMethod = new Map()));
    let cells = byMethod.get(method);
    if (!cells) byMethod.set(method, (cells = { duration: this.requestDuration.cell({ method, route }), statuses: new Map() }));
    let counter = cells.statuses.get(status);
    if (!counter) cells.statuses.set(status, (counter = this.requests.cell({ method, route, status: String(status) })));
    counter.inc();
    cells.duration.observe(seconds);
  }

  vendorCall(event: VendorCallEvent): void {
    const { provider } = event;
    const connection = this.connectionLabel(event.connectionId);
    let cells = this.vendorCells.get(event.connectionId);
    if (!cells) this.vendorCells.set(event.connectionId, (cells = { duration: this.vendorDuration.cell({ connection, provider }), outcomes: new Map() }));
    const outcome = event.status ?? event.error ?? 'unknown';
    let counter = cells.outcomes.get(outcome);
    if (!counter) cells.outcomes.set(outcome, (counter = this.vendorCalls.cell({ connection, provider, outcome: String(outcome) })));
    counter.inc();
    if (event.status !== undefined) cells.duration.observe(event.durationMs / 1000);
    if (event.error || (event.status !== undefined && event.status >= 500)) this.vendorErrors.inc({ connection, provider, type: event.error ?? 'upstream_error' });
  }
}
