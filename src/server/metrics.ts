/**
 * A minimal Prometheus registry (text exposition format 0.0.4). Written here rather than pulled in
 * from prom-client because we need three metric types and no cluster aggregation.
 */
type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Lines without HELP/TYPE; async so gauges can ask the queue or database at scrape time. */
  samples(): Promise<string[]> | string[];
}

export class Counter implements Metric {
  readonly type = 'counter' as const;
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }

  samples(): string[] {
    return [...this.#values].map(([key, value]) => `${this.name}${key} ${formatNumber(value)}`);
  }
}

export class Gauge implements Metric {
  readonly type = 'gauge' as const;
  constructor(
    readonly name: string,
    readonly help: string,
    /** Read at scrape time; a failing collector drops its samples instead of failing the scrape. */
    private readonly collect: () => Promise<Array<{ labels?: Labels; value: number }>>,
  ) {}

  async samples(): Promise<string[]> {
    try {
      const values = await this.collect();
      return values.map((v) => `${this.name}${labelKey(v.labels ?? {})} ${formatNumber(v.value)}`);
    } catch {
      return [];
    }
  }
}

export class Histogram implements Metric {
  readonly type = 'histogram' as const;
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    // Per-bucket counts are stored non-cumulative and summed at scrape time.
    const index = this.buckets.findIndex((b) => value <= b);
    if (index >= 0) series.counts[index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  samples(): string[] {
    const lines: string[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        lines.push(`${this.name}_bucket${labelKey({ ...series.labels, le: formatNumber(bound) })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelKey({ ...series.labels, le: '+Inf' })} ${series.count}`);
      lines.push(`${this.name}_sum${labelKey(series.labels)} ${formatNumber(series.sum)}`);
      lines.push(`${this.name}_count${labelKey(series.labels)} ${series.count}`);
    }
    return lines;
  }
}

export class Registry {
  readonly #metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.#metrics.push(metric);
    return metric;
  }

  async render(): Promise<string> {
    const blocks = await Promise.all(
      this.#metrics.map(async (m) => [`# HELP ${m.name} ${m.help.replace(/\n/g, ' ')}`, `# TYPE ${m.name} ${m.type}`, ...(await m.samples())].join('\n')),
    );
    return `${blocks.join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the server records; one instance per server so tests never share counters. */
export interface ServerMetrics {
  registry: Registry;
  uploadsReceived: Counter;
  verdicts: Counter;
  processingSeconds: Histogram;
  httpSeconds: Histogram;
  queueDepth: Gauge;
}

export function createServerMetrics(queueDepth: () => Promise<Array<{ labels?: Labels; value: number }>>): ServerMetrics {
  const registry = new Registry();
  return {
    registry,
    // No tenant label: metrics are scraped without auth, and tenant names must not leak through them.
    uploadsReceived: registry.register(new Counter('tollgate_uploads_received_total', 'Uploads accepted by the API, by source (multipart, object).')),
    verdicts: registry.register(
      new Counter('tollgate_verdicts_total', 'Verdicts recorded, by decision, as observed by this API process through LISTEN.'),
    ),
    processingSeconds: registry.register(
      new Histogram('tollgate_processing_seconds', 'Time from an upload being received to its verdict, in seconds.', [
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
      ]),
    ),
    httpSeconds: registry.register(
      new Histogram('tollgate_http_request_duration_seconds', 'HTTP request durations by method, route and status code.', [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
      ]),
    ),
    queueDepth: registry.register(new Gauge('tollgate_queue_depth', 'Jobs waiting in each queue.', queueDepth)),
  };
}
