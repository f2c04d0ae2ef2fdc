// The Helm chart as a reviewer reads it: lint, the three profiles rendered and validated strictly
// against the Kubernetes API schemas, then the rendered objects themselves: GPU scheduling only on
// GPU workers, every container non-root with limits and probes, NetworkPolicy edges equal to the gRPC
// graph, every env key known to its service's config schema, graceful termination, scaling objects.
import { readFileSync } from 'node:fs';

import {
  bffConfigSchema,
  contextServiceConfigSchema,
  inferenceWorkerConfigSchema,
  ledgerConfigSchema,
  modelGatewayConfigSchema,
  orchestratorConfigSchema,
  safetyServiceConfigSchema,
  toolRunnerConfigSchema,
} from '@hearth/config';

import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

import {
  CHART_DIR,
  component,
  Container,
  K8sObject,
  PodSpec,
  podSpecs,
  PROFILE_NAMES,
  ProfileName,
  profileValuesFile,
  renderProfile,
  runTool,
  tempFile,
} from './support/deploy-tools.util';

/** Keys of a service's zod config schema (the object inside its refine/transform pipe). */
function schemaKeys(schema: z.ZodType): Set<string> {
  const inner = (schema as unknown as { in: { shape: Record<string, unknown> } }).in;
  return new Set(Object.keys(inner.shape));
}

const CONFIG_SCHEMAS: Record<string, Set<string>> = {
  bff: schemaKeys(bffConfigSchema),
  orchestrator: schemaKeys(orchestratorConfigSchema),
  'context-service': schemaKeys(contextServiceConfigSchema),
  'tool-runner': schemaKeys(toolRunnerConfigSchema),
  'safety-service': schemaKeys(safetyServiceConfigSchema),
  'model-gateway': schemaKeys(modelGatewayConfigSchema),
  ledger: schemaKeys(ledgerConfigSchema),
  'inference-worker': schemaKeys(inferenceWorkerConfigSchema),
};

/** Variables read outside the config schemas, each for a stated reason. */
const RUNTIME_ENV: Record<string, string> = {
  UV_THREADPOOL_SIZE: "libuv's pool size, read before any code runs (the worker's README)",
  AWS_ACCESS_KEY_ID: "the AWS SDK's default credential chain (S3 blob store)",
  AWS_SECRET_ACCESS_KEY: "the AWS SDK's default credential chain (S3 blob store)",
};

/** The gRPC graph of the platform: caller -> callees. */
const GRPC_GRAPH: Record<string, string[]> = {
  bff: ['context-service', 'model-gateway', 'orchestrator', 'tool-runner'],
  orchestrator: ['context-service', 'model-gateway', 'safety-service', 'tool-runner'],
  'context-service': ['model-gateway', 'safety-service'],
  'tool-runner': ['context-service'],
  // The guard model (SAFETY_GUARD_MODEL) is called through the gateway.
  'safety-service': ['model-gateway'],
  'model-gateway': ['inference-worker'],
};
const ADDRESS_VARS: Record<string, string> = {
  ORCHESTRATOR_ADDRESS: 'orchestrator',
  MODEL_GATEWAY_ADDRESS: 'model-gateway',
  CONTEXT_SERVICE_ADDRESS: 'context-service',
  SAFETY_SERVICE_ADDRESS: 'safety-service',
  TOOL_RUNNER_ADDRESS: 'tool-runner',
};
const edgesOf = (graph: Record<string, string[]>): string[] =>
  Object.entries(graph)
    .flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`))
    .sort();

/** API groups of custom resources (KEDA, Prometheus Operator, Gateway API): not in the core schemas. */
const CUSTOM_RESOURCE = /^(keda\.sh|monitoring\.coreos\.com|gateway\.networking\.k8s\.io)\//;
const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet'];
const rendered = new Map<ProfileName, K8sObject[]>();
const objectsOf = (profile: ProfileName): K8sObject[] => {
  const objects = rendered.get(profile);
  if (!objects) throw new Error(`${profile} was not rendered`);
  return objects;
};
const ofKind = (profile: ProfileName, kind: string) => objectsOf(profile).filter((o) => o.kind === kind);
const env = (c: Container): Record<string, string | undefined> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const allContainers = (pod: PodSpec): Container[] => [...(pod.initContainers ?? []), ...pod.containers];
const GPU_RESOURCE = 'nvidia.com/gpu';
const valuesOf = (profile: ProfileName) =>
  parseYaml(readFileSync(profileValuesFile(profile), 'utf8')) as {
    inference: { pools: Array<{ name: string; gpu: { enabled: boolean } }> };
  };

describe('helm/hearth', () => {
  beforeAll(() => {
    for (const profile of PROFILE_NAMES) rendered.set(profile, renderProfile(profile));
  });

  describe.each(PROFILE_NAMES)('profile %s', (profile) => {
    it('passes helm lint --strict', () => {
      const result = runTool('helm', ['lint', '--strict', CHART_DIR, '-f', profileValuesFile(profile)]);
      expect(`${result.stdout}${result.stderr}`).toContain('0 chart(s) failed');
      expect(result.status).toBe(0);
    });

    it('validates strictly against the Kubernetes 1.33 API schemas (custom resources by their own checks below)', () => {
      const builtIn = objectsOf(profile).filter((o) => !CUSTOM_RESOURCE.test(o.apiVersion));
      const file = tempFile(`${profile}.yaml`, builtIn.map((o) => JSON.stringify(o)).join('\n---\n'));
      const result = runTool('kubernetes-validate', ['--strict', '--kubernetes-version', '1.33.0', file]);
      const output = `${result.stdout}${result.stderr}`;
      expect(output).not.toMatch(/ERROR|WARN/);
      expect(result.status).toBe(0);
      expect(builtIn.length).toBeGreaterThan(20);
    });

    it('has custom resources (ScaledObject, HTTPRoute, monitors) that reference objects and ports that exist', () => {
      const objects = objectsOf(profile);
      const named = (kind: string, name: string) =>
        objects.find((o) => o.kind === kind && o.metadata.name === name);
      for (const o of objects.filter((x) => CUSTOM_RESOURCE.test(x.apiVersion))) {
        const spec = o.spec as Record<string, never>;
        if (o.kind === 'ScaledObject') {
          const target = spec['scaleTargetRef'] as { kind: string; name: string };
          expect(named(target.kind, target.name)).toBeDefined();
          expect((spec['triggers'] as Array<{ type: string }>).map((t) => t.type)).toEqual([
            'prometheus',
            'prometheus',
          ]);
        } else if (o.kind === 'HTTPRoute') {
          for (const ref of (
            spec['rules'] as Array<{ backendRefs: Array<{ name: string; port: number }> }>
          ).flatMap((r) => r.backendRefs)) {
            const service = named('Service', ref.name);
            expect((service?.spec as { ports: Array<{ port: number }> }).ports.map((p) => p.port)).toContain(
              ref.port,
            );
          }
        } else if (o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor') {
          const labels = (spec['selector'] as { matchLabels: Record<string, string> }).matchLabels;
          const matching = podSpecs(objects).filter(({ owner }) =>
            Object.entries(labels).every(
              ([k, v]) =>
                (owner.spec as { selector?: { matchLabels?: Record<string, string> } }).selector
                  ?.matchLabels?.[k] === v,
            ),
          );
          expect(matching.length).toBeGreaterThan(0);
          for (const { pod } of matching)
            expect(pod.containers[0]!.ports!.map((p) => p.name)).toContain('metrics');
        } else throw new Error(`no check for custom resource ${o.kind}`);
      }
    });

    it('runs every container as non-root without privilege escalation, all capabilities dropped, on a read-only root', () => {
      for (const { owner, pod } of podSpecs(objectsOf(profile))) {
        expect({ owner: owner.metadata.name, ctx: pod.securityContext }).toMatchObject({
          ctx: { runAsNonRoot: true, runAsUser: expect.any(Number) },
        });
        expect(pod.securityContext?.['runAsUser']).not.toBe(0);
        expect(pod['automountServiceAccountToken']).toBe(false);
        for (const c of allContainers(pod)) {
          expect({ container: `${owner.metadata.name}/${c.name}`, ctx: c.securityContext }).toEqual({
            container: `${owner.metadata.name}/${c.name}`,
            ctx: expect.objectContaining({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              privileged: false,
              capabilities: { drop: ['ALL'] },
            }),
          });
        }
      }
    });

    it('gives every container requests and limits, and every long-running one startup, readiness and liveness probes', () => {
      for (const { owner, pod } of podSpecs(objectsOf(profile))) {
        for (const c of allContainers(pod)) {
          const where = `${owner.kind} ${owner.metadata.name}/${c.name}`;
          expect({ where, requests: c.resources?.requests }).toEqual({
            where,
            requests: expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
          });
          expect({ where, limits: c.resources?.limits }).toEqual({
            where,
            limits: expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
          });
        }
        if (!LONG_RUNNING.includes(owner.kind)) continue;
        for (const c of pod.containers) {
          const where = `${owner.metadata.name}/${c.name}`;
          expect({
            where,
            startup: !!c.startupProbe,
            readiness: !!c.readinessProbe,
            liveness: !!c.livenessProbe,
          }).toEqual({
            where,
            startup: true,
            readiness: true,
            liveness: true,
          });
        }
      }
    });

    it('uses gRPC health probes on gRPC services and /healthz on the BFF', () => {
      for (const d of ofKind(profile, 'Deployment')) {
        const c = d.spec!.template!.spec.containers[0]!;
        if (component(d) === 'bff') expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
        else expect(c.readinessProbe).toMatchObject({ grpc: { port: expect.any(Number) } });
      }
    });

    it('asks for GPUs, GPU node selectors, tolerations and the runtime class only on GPU workers', () => {
      const gpuPools = valuesOf(profile)
        .inference.pools.filter((p) => p.gpu.enabled)
        .map((p) => p.name);
      for (const { owner, pod } of podSpecs(objectsOf(profile))) {
        const pool = owner.metadata.labels?.['hearth/pool'];
        const isGpuWorker =
          component(owner) === 'inference-worker' && pool !== undefined && gpuPools.includes(pool);
        const gpuLimit = pod.containers.map((c) => c.resources?.limits?.[GPU_RESOURCE]).find(Boolean);
        const gpuRequest = pod.containers.map((c) => c.resources?.requests?.[GPU_RESOURCE]).find(Boolean);
        const tolerates = (pod.tolerations ?? []).some((t) => t['key'] === GPU_RESOURCE);
        const where = owner.metadata.name;
        expect({ where, gpuLimit: !!gpuLimit, gpuRequest: !!gpuRequest, tolerates }).toEqual({
          where,
          gpuLimit: isGpuWorker,
          gpuRequest: isGpuWorker,
          tolerates: isGpuWorker,
        });
        if (!isGpuWorker)
          expect({ where, runtimeClassName: pod.runtimeClassName }).toEqual({
            where,
            runtimeClassName: undefined,
          });
        if (isGpuWorker) {
          expect(Object.keys(pod.nodeSelector ?? {})).not.toHaveLength(0);
          expect(pod.containers[0]!.image).toMatch(/-cuda$/);
          expect(env(pod.containers[0]!)).toMatchObject({
            WORKER_GPU: 'cuda',
            WORKER_GPU_LAYERS: expect.any(String),
          });
        }
      }
      expect(gpuPools.length > 0).toBe(profile !== 'cpu-minimal');
    });

    it("sets only environment variables that the service's config schema knows (or a stated runtime variable)", () => {
      for (const { owner, pod } of podSpecs(objectsOf(profile))) {
        const name = component(owner);
        if (!name || !(name in CONFIG_SCHEMAS)) continue;
        const known = CONFIG_SCHEMAS[name]!;
        for (const c of pod.containers) {
          const unknown = (c.env ?? [])
            .map((e) => e.name)
            .filter((key) => !known.has(key) && !(key in RUNTIME_ENV));
          expect({ container: `${owner.metadata.name}/${c.name}`, unknown }).toEqual({
            container: `${owner.metadata.name}/${c.name}`,
            unknown: [],
          });
        }
      }
      const services = new Set(ofKind(profile, 'Deployment').map(component));
      expect([...services].sort()).toEqual(Object.keys(CONFIG_SCHEMAS).sort());
    });

    it('points every address variable at a Service that exists, and the gateway registry at headless worker Services', () => {
      const services = new Map(ofKind(profile, 'Service').map((s) => [s.metadata.name, s]));
      const calls: Record<string, string[]> = {};
      for (const d of ofKind(profile, 'Deployment')) {
        const vars = env(d.spec!.template!.spec.containers[0]!);
        for (const [key, target] of Object.entries(ADDRESS_VARS)) {
          const address = vars[key];
          if (!address) continue;
          const [host, port] = address.split(':');
          const service = services.get(host!);
          expect({ key, address, exists: !!service }).toEqual({ key, address, exists: true });
          expect(component(service!)).toBe(target);
          expect(
            (service!.spec as { ports: Array<{ port: number }> }).ports.map((p) => String(p.port)),
          ).toContain(port);
          (calls[component(d)!] ??= []).push(target);
        }
      }
      const registry = parseYaml(
        ofKind(profile, 'ConfigMap').find((c) => c.metadata.name.endsWith('-model-registry'))!.data![
          'model-registry.yaml'
        ]!,
      ) as {
        models: Array<{ id: string; workers: { dns: string } }>;
      };
      const pools = ofKind(profile, 'Deployment').filter((d) => component(d) === 'inference-worker');
      expect(registry.models).toHaveLength(pools.length);
      for (const model of registry.models) {
        const [host] = model.workers.dns.split('.');
        const service = services.get(host!);
        expect({
          model: model.id,
          headless: (service?.spec as { clusterIP?: string } | undefined)?.clusterIP,
        }).toEqual({ model: model.id, headless: 'None' });
      }
      calls['model-gateway'] = ['inference-worker'];
      for (const list of Object.values(calls)) list.sort();
      expect(edgesOf(calls)).toEqual(edgesOf(GRPC_GRAPH));
    });

    it('has NetworkPolicy edges between components equal to the gRPC graph, in both directions', () => {
      const policies = ofKind(profile, 'NetworkPolicy');
      const byComponent = new Map(policies.map((p) => [component(p)!, p]));
      const ingressEdges: string[] = [];
      const egressEdges: string[] = [];
      const peerComponent = (peer: {
        podSelector?: { matchLabels?: Record<string, string> };
        namespaceSelector?: unknown;
      }) =>
        peer.namespaceSelector === undefined
          ? peer.podSelector?.matchLabels?.['app.kubernetes.io/component']
          : undefined;
      type Rule = { from?: Array<Record<string, never>>; to?: Array<Record<string, never>> };
      for (const [to, policy] of byComponent) {
        const spec = policy.spec as { policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
        expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
        for (const rule of spec.ingress ?? [])
          for (const peer of rule.from ?? []) {
            const from = peerComponent(peer);
            if (from && from !== 'test') ingressEdges.push(`${from} -> ${to}`);
          }
        for (const rule of spec.egress ?? [])
          for (const peer of rule.to ?? []) {
            const target = peerComponent(peer);
            if (target && to !== 'test') egressEdges.push(`${to} -> ${target}`);
          }
      }
      expect(ingressEdges.sort()).toEqual(edgesOf(GRPC_GRAPH));
      expect(egressEdges.sort()).toEqual(edgesOf(GRPC_GRAPH));
      // Every workload is covered by a policy of its own.
      for (const { owner } of podSpecs(objectsOf(profile)))
        expect(byComponent.has(component(owner)!)).toBe(true);
    });

    it("gives workers a grace period longer than their drain timeout plus the worker's hard-stop margin", () => {
      for (const d of ofKind(profile, 'Deployment').filter((o) => component(o) === 'inference-worker')) {
        const pod = d.spec!.template!.spec;
        const drainMs = Number(env(pod.containers[0]!)['WORKER_DRAIN_TIMEOUT_MS']);
        expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(drainMs + 15_000);
        expect(env(pod.containers[0]!)['UV_THREADPOOL_SIZE']).toBe('1');
      }
    });

    it('spreads every Deployment over zones and nodes and protects it with a PodDisruptionBudget', () => {
      const budgets = ofKind(profile, 'PodDisruptionBudget');
      for (const d of ofKind(profile, 'Deployment')) {
        expect(d.spec!.template!.spec.topologySpreadConstraints).toHaveLength(2);
        const selector = (d.spec as { selector: { matchLabels: Record<string, string> } }).selector
          .matchLabels;
        const budget = budgets.find(
          (b) =>
            JSON.stringify((b.spec as { selector: { matchLabels: unknown } }).selector.matchLabels) ===
            JSON.stringify(selector),
        );
        expect({ deployment: d.metadata.name, budget: budget?.metadata.name }).toEqual({
          deployment: d.metadata.name,
          budget: d.metadata.name,
        });
      }
    });

    it('runs the migrations as a pre-install/pre-upgrade hook from the services image', () => {
      const job = ofKind(profile, 'Job').find((j) => component(j) === 'migrations')!;
      expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
      const container = job.spec!.template!.spec.containers[0]!;
      expect(container.args).toEqual(['migrate']);
      expect(container.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toBeDefined();
    });

    it('takes every credential from a Secret, never a literal', () => {
      for (const { pod } of podSpecs(objectsOf(profile)))
        for (const c of allContainers(pod))
          for (const e of c.env ?? [])
            if (/^(DATABASE_URL|REDIS_URL)$|API_KEY|ACCESS_KEY|TOKEN|PASSWORD|SECRET/.test(e.name))
              expect({ name: e.name, fromSecret: !!e.valueFrom?.secretKeyRef }).toEqual({
                name: e.name,
                fromSecret: true,
              });
      expect(ofKind(profile, 'Secret')).toEqual([]);
    });

    it('has a helm test that checks /healthz and one streamed chat completion against the BFF', () => {
      const pod = ofKind(profile, 'Pod').find((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test')!;
      const c = (pod.spec as unknown as PodSpec).containers[0]!;
      expect(c.command).toEqual(['node', '/app/deploy/docker/smoke-chat.mjs']);
      expect(env(c)['HEARTH_BASE_URL']).toBe('http://hearth-bff:80');
    });
  });

  it('autoscales GPU workers with KEDA on queue depth and slot occupancy (gpu-keda)', () => {
    const scaled = ofKind('gpu-keda', 'ScaledObject');
    expect(scaled).toHaveLength(2);
    for (const s of scaled) {
      const triggers = (s.spec as { triggers: Array<{ type: string; metadata: { query: string } }> })
        .triggers;
      expect(triggers.map((t) => t.metadata.query)).toEqual([
        expect.stringMatching(/^sum\(hearth_inference_queue_depth\{namespace="hearth",model_id="[^"]+"\}\)$/),
        expect.stringMatching(
          /^sum\(hearth_inference_active_slots\{.*\}\) \/ sum\(hearth_inference_slots\{.*\}\)$/,
        ),
      ]);
    }
    expect(ofKind('gpu-keda', 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('autoscales GPU workers by HPA on custom metrics and stateless services on CPU (production-ha)', () => {
    const hpas = ofKind('production-ha', 'HorizontalPodAutoscaler');
    const worker = hpas.find((h) => component(h) === 'inference-worker')!;
    expect(
      (worker.spec as { metrics: Array<{ pods: { metric: { name: string } } }> }).metrics.map(
        (m) => m.pods.metric.name,
      ),
    ).toEqual(['hearth_inference_queue_depth', 'hearth_inference_slot_occupancy']);
    const cpu = hpas.filter((h) => component(h) !== 'inference-worker');
    expect(cpu.map(component).sort()).toEqual([
      'bff',
      'context-service',
      'model-gateway',
      'orchestrator',
      'safety-service',
      'tool-runner',
    ]);
    for (const h of cpu) expect(JSON.stringify(h.spec)).toContain('"name":"cpu"');
  });

  it('renders monitors only where the Prometheus Operator CRDs exist', () => {
    expect(ofKind('cpu-minimal', 'ServiceMonitor')).toEqual([]);
    expect(ofKind('cpu-minimal', 'PodMonitor')).toEqual([]);
    // Every gRPC service through its Service; the BFF (public Service) and the workers per pod.
    expect(ofKind('production-ha', 'ServiceMonitor').map(component).sort()).toEqual([
      'context-service',
      'ledger',
      'model-gateway',
      'orchestrator',
      'safety-service',
      'tool-runner',
    ]);
    expect(ofKind('production-ha', 'PodMonitor').map(component).sort()).toEqual(['bff', 'inference-worker']);
  });

  it('serves /metrics from every service on a named metrics port that METRICS_PORT matches', () => {
    for (const deployment of ofKind('production-ha', 'Deployment')) {
      const container = deployment.spec!.template!.spec.containers[0]!;
      const metrics = (container.ports ?? []).find((p) => p.name === 'metrics');
      expect({ component: component(deployment), port: metrics?.containerPort }).toEqual({
        component: component(deployment),
        port: Number(env(container)['METRICS_PORT']),
      });
    }
    const bff = ofKind('production-ha', 'Service').find((s) => component(s) === 'bff')!;
    const bffPorts = (bff.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
    expect(bffPorts).not.toContain('metrics');
  });

  it('keeps server-sent events flowing through the Ingress and the HTTPRoute (no buffering, long timeouts)', () => {
    const ingress = ofKind('gpu-keda', 'Ingress')[0]!;
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    });
    const route = ofKind('production-ha', 'HTTPRoute')[0]!;
    expect((route.spec as { rules: Array<{ timeouts: unknown }> }).rules[0]!.timeouts).toEqual({
      request: '3600s',
      backendRequest: '3600s',
    });
  });

  it('fetches a model from a URI in an init container that checks its sha256, or mounts it read-only from a claim', () => {
    const workers = ofKind('gpu-keda', 'Deployment').filter((d) => component(d) === 'inference-worker');
    const fromClaim = workers.find((d) => d.metadata.labels?.['hearth/pool'] === 'large')!.spec!.template!
      .spec;
    const fetched = workers.find((d) => d.metadata.labels?.['hearth/pool'] === 'small')!.spec!.template!.spec;
    expect(fromClaim.initContainers).toBeUndefined();
    expect(JSON.stringify(fromClaim['volumes'])).toContain('"readOnly":true');
    const init = fetched.initContainers![0]!;
    expect(init.args).toEqual(['model-fetch']);
    expect(env(init)).toMatchObject({
      MODEL_SHA256: env(fetched.containers[0]!)['MODEL_SHA256'],
      MODEL_PATH: env(fetched.containers[0]!)['MODEL_SOURCE'],
    });
  });
});
