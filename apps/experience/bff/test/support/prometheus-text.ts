// Reads a /metrics scrape with a Prometheus text-format parser (parse-prometheus-text-format, a port of
// the Prometheus Python client's parser with prom2json's output shape), typed here since the package
// ships no declarations.
import { createRequire } from 'node:module';

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly metrics: ReadonlyArray<{
    readonly labels?: Readonly<Record<string, string>>;
    /** Counters and gauges. */
    readonly value?: string;
  }>;
}

const parse = createRequire(__filename)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

export interface Scrape {
  /** Metric families by name, with their HELP and TYPE. */
  readonly families: Map<string, MetricFamily>;
  /** Every sample line by its own name (`x_count`, `x_bucket` ...) with its labels. */
  readonly samples: Map<
    string,
    Array<{ readonly labels: Readonly<Record<string, string>>; readonly value: number }>
  >;
}

/**
 * GET http://127.0.0.1:port/metrics, parsed twice: as families (types), and without its HELP/TYPE
 * lines as plain samples, since the parser folds a labelled histogram's series into one entry.
 */
export async function scrapeMetrics(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`/metrics on ${port} answered ${response.status}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = new Map(parse(text).map((family) => [family.name, family]));
  const samples: Scrape['samples'] = new Map();
  const bare = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  for (const family of parse(bare)) {
    const list = samples.get(family.name) ?? [];
    for (const m of family.metrics) list.push({ labels: m.labels ?? {}, value: Number(m.value) });
    samples.set(family.name, list);
  }
  return { families, samples };
}

/** Sum of the samples named `name` whose labels include `labels` (a histogram: ask for `x_count`). */
export function total(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return (scrape.samples.get(name) ?? [])
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
