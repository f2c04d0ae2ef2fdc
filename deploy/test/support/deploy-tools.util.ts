// Runs the pinned deployment tools through scripts/deploy-tools.sh (installed on first use) and
// renders the Helm chart's profiles into plain objects the specs read.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'helm', 'hearth');

export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one tool (helm, hadolint, kubernetes-validate, checkov) and returns its exit status and output. */
export function runTool(tool: string, args: readonly string[], input?: string): ToolResult {
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'deploy-tools.sh'), tool, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** A Kubernetes object as rendered (only the fields the specs read are typed). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec?: Record<string, unknown> & { template?: { metadata?: unknown; spec: PodSpec } };
  readonly data?: Record<string, string>;
  readonly [key: string]: unknown;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly command?: string[];
  readonly env?: EnvVar[];
  readonly ports?: Array<{ name: string; containerPort: number }>;
  readonly resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  readonly securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  readonly startupProbe?: Record<string, unknown>;
  readonly readinessProbe?: Record<string, unknown>;
  readonly livenessProbe?: Record<string, unknown>;
}

export interface PodSpec {
  readonly containers: Container[];
  readonly initContainers?: Container[];
  readonly securityContext?: Record<string, unknown>;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Array<Record<string, string>>;
  readonly runtimeClassName?: string;
  readonly terminationGracePeriodSeconds?: number;
  readonly topologySpreadConstraints?: unknown[];
  readonly [key: string]: unknown;
}

/** The profiles `npm test` renders, with the API groups their cluster is assumed to serve. */
export const PROFILES = {
  'cpu-minimal': { apiVersions: [] },
  'gpu-keda': {
    apiVersions: ['keda.sh/v1alpha1/ScaledObject', 'monitoring.coreos.com/v1/PodMonitor'],
  },
  'production-ha': {
    apiVersions: [
      'monitoring.coreos.com/v1/ServiceMonitor',
      'monitoring.coreos.com/v1/PodMonitor',
      'gateway.networking.k8s.io/v1/HTTPRoute',
    ],
  },
} as const;
export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export const RELEASE = 'hearth';
export const NAMESPACE = 'hearth';

export function profileValuesFile(profile: ProfileName): string {
  return join(CHART_DIR, 'ci', `${profile}-values.yaml`);
}

/** `helm template` of the chart; extra values as YAML text (layered over the profile). */
export function helmTemplate(
  profile: ProfileName,
  extraValues?: string,
  extraArgs: readonly string[] = [],
): ToolResult {
  const args = [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    '1.33.0',
    '-f',
    profileValuesFile(profile),
    ...PROFILES[profile].apiVersions.flatMap((v) => ['--api-versions', v]),
    ...extraArgs,
  ];
  if (extraValues !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-values-'));
    const file = join(dir, 'extra-values.yaml');
    writeFileSync(file, extraValues);
    args.push('-f', file);
  }
  return runTool('helm', args);
}

/** Renders a profile (with `helm test` hooks) into objects; throws with helm's message on failure. */
export function renderProfile(profile: ProfileName, extraValues?: string): K8sObject[] {
  const result = helmTemplate(profile, extraValues);
  if (result.status !== 0) throw new Error(`helm template (${profile}) failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** Pod templates of the workloads (Deployments, Jobs) and bare Pods, by object. */
export function podSpecs(objects: readonly K8sObject[]): Array<{ owner: K8sObject; pod: PodSpec }> {
  return objects.flatMap((o) => {
    if (o.kind === 'Pod') return [{ owner: o, pod: o.spec as unknown as PodSpec }];
    const template = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
    return template ? [{ owner: o, pod: template }] : [];
  });
}

export const component = (o: K8sObject): string | undefined =>
  o.metadata.labels?.['app.kubernetes.io/component'];

/** Writes text to a fresh temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-deploy-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
