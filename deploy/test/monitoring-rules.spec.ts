// The chart's alerts and dashboard: rendered behind their values flags, every PromQL expression they
// hold names only metrics the services' code defines (a renamed metric fails here, not in a silent
// alert), and the alerts cover TTFT p95, error ratios, worker queue depth and shedding.
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

/** How the code spells a metric name: literal, or after the prefix constant it is built from. */
const PREFIXES: Array<[string, (rest: string) => string[]]> = [
  ['hearth_inference_', (rest) => [`\${PREFIX}${rest}\``, `gauge('${rest}'`]],
  ['hearth_process_', () => ['collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX })']],
  ['hearth_nodejs_', () => ['collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX })']],
  ['hearth_', (rest) => [`\${METRIC_PREFIX}${rest}\``]],
  ['gateway_', (rest) => [`'gateway_${rest}'`]],
];

function metricNames(expr: string): string[] {
  const names = expr.match(/\b(hearth|gateway)_[a-z0-9_]+/g) ?? [];
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
  const dashboardExprs = () => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'hearth-dashboard')!;
    const json = (configMap as unknown as { data: Record<string, string> }).data['hearth-overview.json']!;
    const dashboard = JSON.parse(json) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  };

  it('renders neither by default, nor the rule without its CRD', () => {
    const plain = parseManifests(helmTemplate('production-ha').stdout);
    expect(plain.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
    expect(plain.filter((o) => o.metadata.name === 'hearth-dashboard')).toEqual([]);
    const noCrd = parseManifests(helmTemplate('production-ha', ENABLED).stdout);
    expect(noCrd.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  });

  it('alerts on TTFT p95, error ratios, worker queue depth and shed rate', () => {
    expect(rules().map((r) => r.alert)).toEqual([
      'HearthTimeToFirstTokenP95High',
      'HearthGrpcErrorRatioHigh',
      'HearthHttpErrorRatioHigh',
      'HearthWorkerQueueDeep',
      'HearthWorkerShedding',
    ]);
  });

  it('ships the dashboard JSON from the chart, with a query on every panel', () => {
    const file = JSON.parse(readFileSync(join(CHART_DIR, 'dashboards', 'hearth-overview.json'), 'utf8')) as {
      uid: string;
    };
    expect(file.uid).toBe('hearth-overview');
    expect(dashboardExprs().length).toBeGreaterThanOrEqual(8);
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
