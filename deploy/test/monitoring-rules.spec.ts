// The chart's alerts and dashboard: rendered behind their values flags, every PromQL expression they
// hold names only metrics the services' code defines (a renamed metric fails here, not in a silent
// alert), the alerts cover TTFT p95, error ratios, worker queue depth and shedding, outbox age and the
// ledger's consumer lag, and the three dashboards (overview, inference, turn pipeline) ship.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import {
  CHART_DIR,
  helmTemplate,
  parseManifests,
  REPO_ROOT,
  type K8sObject,
} from './support/deploy-tools.util';

const ENABLED = `
metrics:
  prometheusRule: { enabled: true }
  grafanaDashboard: { enabled: true }
`;
const RULE_CRD = ['--api-versions', 'monitoring.coreos.com/v1/PrometheusRule'];

/** Every non-spec TypeScript file of the apps and libs, concatenated. */
function sourceText(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'gen') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const root of ['apps', 'libs']) walk(join(REPO_ROOT, root));
  return texts.join('\n');
}

const DEFAULT_METRICS_CALL = 'collectDefaultMetrics({\n      register: shared,\n      prefix: METRIC_PREFIX,';

/** How the code spells a metric name: literal, or after the prefix constant it is built from. */
const PREFIXES: Array<[string, (rest: string) => string[]]> = [
  ['hearth_inference_', (rest) => [`\${PREFIX}${rest}\``, `gauge('${rest}'`]],
  // prom-client's default metrics, collected into the shared registry under the platform's prefix.
  ['hearth_process_', () => [DEFAULT_METRICS_CALL]],
  ['hearth_nodejs_', () => [DEFAULT_METRICS_CALL]],
  ['hearth_', (rest) => [`\${METRIC_PREFIX}${rest}\``]],
  ['gateway_', (rest) => [`'gateway_${rest}'`]],
  ['ledger_', (rest) => [`'ledger_${rest}'`]],
];

const DASHBOARDS = ['hearth-overview', 'hearth-inference', 'hearth-turn-pipeline'];

function metricNames(expr: string): string[] {
  const names = expr.match(/\b(hearth|gateway|ledger)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_(bucket|count|sum)$/, '')))];
}

describe('chart alerts and dashboard', () => {
  let objects: K8sObject[];
  let source: string;

  beforeAll(() => {
    const result = helmTemplate('production-ha', ENABLED, RULE_CRD);
    if (result.status !== 0) throw new Error(result.stderr);
    objects = parseManifests(result.stdout);
    source = sourceText();
  });

  const rules = () => {
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    return (rule.spec as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap(
      (g) => g.rules,
    );
  };
  const dashboards = () => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'hearth-dashboard')!;
    const data = (configMap as unknown as { data: Record<string, string> }).data;
    return DASHBOARDS.map((name) => {
      const dashboard = JSON.parse(data[`${name}.json`]!) as {
        uid: string;
        panels: Array<{ targets: Array<{ expr: string }> }>;
      };
      return {
        name,
        uid: dashboard.uid,
        exprs: dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      };
    });
  };
  const dashboardExprs = () => dashboards().flatMap((d) => d.exprs);

  it('renders neither by default, nor the rule without its CRD', () => {
    const plain = parseManifests(helmTemplate('production-ha').stdout);
    expect(plain.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
    expect(plain.filter((o) => o.metadata.name === 'hearth-dashboard')).toEqual([]);
    const noCrd = parseManifests(helmTemplate('production-ha', ENABLED).stdout);
    expect(noCrd.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  });

  it('alerts on TTFT p95, error ratios, worker queue depth and shed rate, outbox age and consumer lag', () => {
    expect(rules().map((r) => r.alert)).toEqual([
      'HearthTimeToFirstTokenP95High',
      'HearthGrpcErrorRatioHigh',
      'HearthHttpErrorRatioHigh',
      'HearthWorkerQueueDeep',
      'HearthWorkerShedding',
      'HearthOutboxEventsOld',
      'HearthLedgerConsumerLagHigh',
    ]);
  });

  it('ships the three dashboards from the chart, each file as shipped, with a query on every panel', () => {
    for (const { name, uid, exprs } of dashboards()) {
      const file = JSON.parse(readFileSync(join(CHART_DIR, 'dashboards', `${name}.json`), 'utf8')) as {
        uid: string;
        panels: unknown[];
      };
      expect(uid).toBe(name);
      expect(file.uid).toBe(name);
      expect(exprs.length).toBeGreaterThanOrEqual(file.panels.length);
      expect(exprs.length).toBeGreaterThanOrEqual(8);
    }
  });

  it('queries only metrics the services define', () => {
    const exprs = [...rules().map((r) => r.expr), ...dashboardExprs()];
    const names = [...new Set(exprs.flatMap(metricNames))].sort();
    expect(names.length).toBeGreaterThan(5);
    const undefinedNames = names.filter((name) => {
      const [prefix, spellings] = PREFIXES.find(([p]) => name.startsWith(p))!;
      return !spellings(name.slice(prefix.length)).some((spelling) => source.includes(spelling));
    });
    expect(undefinedNames).toEqual([]);
  });

  it('fails the check for a metric no service defines (the bad case)', () => {
    const [prefix, spellings] = PREFIXES.find(([p]) => 'hearth_grpc_server_requests_totl'.startsWith(p))!;
    expect(
      spellings('hearth_grpc_server_requests_totl'.slice(prefix.length)).some((s) => source.includes(s)),
    ).toBe(false);
  });
});
