// values.schema.json as the gate in front of the chart: each bad value next to the good profile it
// breaks, refused with a message naming the value; and the per-service `config` keys it admits kept
// equal to what each service's zod config schema knows (a renamed key fails here).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

import { CHART_DIR, helmTemplate } from './support/deploy-tools.util';

const schemaKeys = (schema: z.ZodType): string[] =>
  Object.keys((schema as unknown as { in: { shape: Record<string, unknown> } }).in.shape);

interface JsonSchema {
  properties: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean;
  required?: string[];
  description?: string;
}
const valuesSchema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as JsonSchema;

/** Variables the chart renders itself (addresses, stores, ports, model, pool sizing): not user config. */
const CHART_MANAGED = new Set(
  `OTEL_EXPORTER_OTLP_ENDPOINT GRPC_HOST GRPC_PORT DATABASE_URL REDIS_URL KAFKA_BROKERS ORCHESTRATOR_ADDRESS
   MODEL_GATEWAY_ADDRESS CONTEXT_SERVICE_ADDRESS SAFETY_SERVICE_ADDRESS TOOL_RUNNER_ADDRESS HTTP_HOST HTTP_PORT
   BLOB_STORE BLOB_STORE_DIR BLOB_S3_BUCKET BLOB_S3_REGION BLOB_S3_ENDPOINT BLOB_S3_PREFIX BLOB_S3_FORCE_PATH_STYLE
   VECTOR_STORE_DIR QDRANT_URL QDRANT_API_KEY MODEL_REGISTRY_PATH METRICS_PORT TOOL_POLICY_PATH SAFETY_POLICY_DIR
   MODEL_ID MODEL_SOURCE MODEL_SHA256 MODEL_CACHE_DIR WORKER_GPU WORKER_GPU_LAYERS WORKER_THREADS WORKER_SLOTS
   WORKER_CONTEXT_SIZE WORKER_DRAIN_TIMEOUT_MS WORKER_ID`.split(/\s+/),
);

const CONFIG_BLOCKS: Array<[string, z.ZodType, JsonSchema]> = [
  ['bff', bffConfigSchema, valuesSchema.properties['bff']!],
  ['orchestrator', orchestratorConfigSchema, valuesSchema.properties['orchestrator']!],
  ['contextService', contextServiceConfigSchema, valuesSchema.properties['contextService']!],
  ['toolRunner', toolRunnerConfigSchema, valuesSchema.properties['toolRunner']!],
  ['safetyService', safetyServiceConfigSchema, valuesSchema.properties['safetyService']!],
  ['modelGateway', modelGatewayConfigSchema, valuesSchema.properties['modelGateway']!],
  ['ledger', ledgerConfigSchema, valuesSchema.properties['ledger']!],
  [
    'inference.pools[]',
    inferenceWorkerConfigSchema,
    valuesSchema.properties['inference']!.properties['pools']!.items!,
  ],
];

describe('values.schema.json', () => {
  it.each(CONFIG_BLOCKS)(
    '%s.config admits exactly the config-schema keys the chart does not set itself',
    (_, zodSchema, block) => {
      const config = block.properties['config']!;
      expect(config.additionalProperties).toBe(false);
      const expected = schemaKeys(zodSchema)
        .filter((key) => !CHART_MANAGED.has(key))
        .sort();
      expect(Object.keys(config.properties).sort()).toEqual(expected);
    },
  );

  it('describes every value', () => {
    const undocumented: string[] = [];
    const walk = (node: JsonSchema, path: string) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        if (!child.description) undocumented.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
      if (node.items) walk(node.items, `${path}[].`);
    };
    walk(valuesSchema, '');
    expect(undocumented).toEqual([]);
  });

  it('accepts the cpu-minimal profile as it is', () => {
    expect(helmTemplate('cpu-minimal').status).toBe(0);
  });

  const refused: Array<[string, string, RegExp]> = [
    [
      'a config key the service does not know',
      'bff: { config: { SSE_HEARTBEAT_SECONDS: 5 } }',
      /bff\/config.*SSE_HEARTBEAT_SECONDS/s,
    ],
    [
      'a chart-managed key set by hand',
      'orchestrator: { config: { DATABASE_URL: "postgresql://x" } }',
      /orchestrator\/config.*DATABASE_URL/s,
    ],
    ['no PostgreSQL Secret', 'postgresql: { existingSecret: "" }', /postgresql\/existingSecret/],
    ['a log level that does not exist', 'logLevel: verbose', /logLevel/],
    [
      'a model sha256 that is not 64 hex characters',
      pool({ model: { uri: 'hf:a/b/c.gguf', sha256: 'abc123' } }),
      /inference\/pools\/0\/model\/sha256/,
    ],
    ['an autoscaling mode that does not exist', pool({ autoscaling: { mode: 'cpu' } }), /autoscaling\/mode/],
    ['a slot occupancy above 1', pool({ autoscaling: { slotOccupancy: 80 } }), /slotOccupancy/],
    ['GPU layers that are neither auto, max nor a count', pool({ gpu: { layers: 'most' } }), /gpu\/layers/],
    ['a pool without resources', pool({ resources: null }), /inference\/pools\/0/],
    [
      'containers allowed to escalate privileges',
      'podDefaults: { securityContext: { allowPrivilegeEscalation: true } }',
      /allowPrivilegeEscalation/,
    ],
    [
      'pods allowed to run as root',
      'podDefaults: { podSecurityContext: { runAsNonRoot: false } }',
      /runAsNonRoot/,
    ],
    ['an unknown top-level value', 'replicas: 3', /replicas/],
  ];

  it.each(refused)('refuses %s with a message naming it', (_, values, message) => {
    const result = helmTemplate('cpu-minimal', values);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(result.stderr).toMatch(message);
  });

  const failed: Array<[string, string, RegExp]> = [
    [
      'no Kafka brokers',
      'kafka: { brokers: "" }',
      /kafka.brokers \(host:port,...\) or kafka.existingSecret is required/,
    ],
    [
      'a pool with both a claim and a URI',
      pool({ model: { pvc: { claimName: 'models', path: 'm.gguf' } } }),
      /set exactly one of uri or pvc.claimName/,
    ],
    [
      'two context-service replicas on the embedded vector index',
      'contextService: { replicaCount: 2 }',
      /contextService.replicaCount > 1 needs qdrant.enabled/,
    ],
    [
      'a fallback that no pool serves',
      pool({ fallbacks: ['nope'] }),
      /fallback "nope" is not the modelId of any pool/,
    ],
  ];

  it.each(failed)("refuses %s with the chart's own message", (_, values, message) => {
    const result = helmTemplate('cpu-minimal', values);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

/** The cpu-minimal profile's pool with some fields replaced (helm replaces lists whole). */
function pool(overrides: Record<string, unknown>): string {
  const profile = readFileSync(join(CHART_DIR, 'ci', 'cpu-minimal-values.yaml'), 'utf8');
  const base = parseYaml(profile) as { inference: { pools: Array<Record<string, unknown>> } };
  const merged = { ...base.inference.pools[0]! };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof current === 'object'
        ? { ...(current as object), ...value }
        : value;
  }
  return JSON.stringify({ inference: { pools: [merged] } });
}
