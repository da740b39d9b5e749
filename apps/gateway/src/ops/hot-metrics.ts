/**
 * Counters and histograms for the per-request path. prom-client hashes a label object on every
 * increment; these keep one cell per label set, found once and then updated in place (typed arrays,
 * so an update allocates nothing), and hand prom-client's registry their values when it is scraped.
 */

type Labels = Record<string, string>;

interface MetricValue {
  labels: Labels | Record<string, string | number>;
  /** The cell's own labels, printed together with `labels` (a histogram bucket's `le`). */
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry reads from a registered metric. */
interface Collected {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

export class CounterCell {
  private readonly count = new Float64Array(1);
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.count[0] += 1;
  }
  get value(): number {
    return this.count[0];
  }
}

export class HistogramCell {
  /** Observations per bucket (not cumulative); the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  private readonly total = new Float64Array(1);

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i] += 1;
    this.total[0] += value;
  }

  get sum(): number {
    return this.total[0];
  }
}

abstract class HotMetric<Cell> {
  protected readonly cells = new Map<string, Cell>();
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The cell of a label set; call once per label set and keep it. */
  cell(labels: Labels): Cell {
    const key = JSON.stringify(labels);
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = this.create(labels)));
    return cell;
  }

  protected abstract create(labels: Labels): Cell;
  protected abstract values(): MetricValue[];

  /** Called by prom-client's registry on a scrape. */
  async get(): Promise<Collected> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

export class HotCounter extends HotMetric<CounterCell> {
  readonly type = 'counter' as const;

  protected create(labels: Labels): CounterCell {
    return new CounterCell(labels);
  }

  protected values(): MetricValue[] {
    return [...this.cells.values()].map((cell) => ({ labels: cell.labels, value: cell.value }));
  }
}

export class HotHistogram extends HotMetric<HistogramCell> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
  }

  protected create(labels: Labels): HistogramCell {
    return new HistogramCell(labels, this.bounds);
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const cell of this.cells.values()) {
      const bucket = `${this.name}_bucket`;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i];
        out.push({ labels: { le: bound }, sharedLabels: cell.labels, value: cumulative, metricName: bucket });
      });
      cumulative += cell.counts[this.bounds.length];
      out.push({ labels: { le: '+Inf' }, sharedLabels: cell.labels, value: cumulative, metricName: bucket });
      out.push({ labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: cell.labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return out;
  }
}
