// Owns starting the real stack an eval runs against with libs/testing's platform stack, the way
// `npm start` runs it: both real models on their own workers (SmolLM2 from HEARTH_CHAT_MODEL_PATH,
// Gemma 270M from HEARTH_MODEL_PATH) behind a gateway fed the local registry
// (deploy/local/model-registry.yaml, endpoints pointed at these workers), the orchestration plane and
// the BFF, each a real process; a fresh migrated database and a tenant with an API key created by the
// admin CLI. Differences from `npm start`, each for the suites: the hot window keeps 2 turns (memory
// cases reach the rolling summary in 5 turns) and every deadline is 10 minutes: on two busy shared
// cores a rolling summary alone took minutes, and a timeout would turn a slow machine into a quality
// regression. No model falls back to another, and a worker counts as gone only when its Stats are
// 10 s late (500 ms in production): on a busy machine the gateway would route around a worker whose
// Stats come late, to the model's fallback, and that answer would be scored as the requested model's.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  infraEnv,
  LOCAL_REGISTRY_PATH,
  startPlatformStack,
  type RegistryModelFields,
  type StackModel,
} from '@hearth/testing';

import { parse } from 'yaml';

import { EVAL_PROMPT_ROLLOUT } from '../prompt-variants';

export interface RegistryModelEntry extends RegistryModelFields {
  id: string;
  sha256: string;
  workers?: { endpoints: string[] };
}

export interface EvalStack {
  readonly baseURL: string;
  readonly apiKey: string;
  /**
   * A key of a new tenant. The gateway's exact-match response cache is per tenant, so a repeated run
   * under a fresh key reaches the models again instead of replaying the first run's answers.
   */
  newApiKey(): string;
  /** The local registry's models (as served), with prices in micro-USD per million tokens. */
  readonly models: ReadonlyArray<{ id: string; aliases: string[]; price: { input: number; output: number } }>;
  /** The last output of every service (for a run's results folder when something failed). */
  logs(): string;
  close(): Promise<void>;
}

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const HOT_WINDOW_TURNS = '2';
/** Summaries fold two turns at a time: the memory suite's fact leaves the verbatim part after four. */
const SUMMARY_BLOCK_TURNS = '2';
const SLOW_MS = '600000';

export async function startEvalStack(log: (line: string) => void = () => undefined): Promise<EvalStack> {
  const infra = infraEnv();
  const registry = parse(await readFile(LOCAL_REGISTRY_PATH, 'utf8')) as {
    models: RegistryModelEntry[];
    routing?: Record<string, unknown>;
  };
  const sources: Record<string, string> = {
    'smollm2-135m-instruct': infra.chatModelPath,
    'gemma-3-270m': infra.modelPath,
  };
  const models = registry.models.map(({ id, sha256, workers: _workers, ...fields }): StackModel => {
    const path = sources[id];
    if (!path) throw new Error(`the local registry names ${id}, which the eval stack cannot load`);
    return {
      id,
      source: { path, sha256 },
      worker: { contextSize: 4096, slots: 2, threads: 2 },
      registry: { ...fields, fallbacks: [] },
    };
  });
  const platform = await startPlatformStack({
    name: 'hearth-eval',
    models,
    routing: { ...registry.routing, firstTokenTimeoutMs: Number(SLOW_MS), statsTimeoutMs: 10_000 },
    services: ['safety-service', 'context-service', 'tool-runner', 'orchestrator', 'bff'],
    env: {
      'model-gateway': { GENERATE_MAX_DURATION_MS: SLOW_MS },
      'context-service': {
        EMBEDDING_MODEL: 'embeddings',
        SUMMARY_MODEL: 'fast',
        SUMMARY_TIMEOUT_MS: SLOW_MS,
        GATEWAY_TIMEOUT_MS: SLOW_MS,
        HOT_WINDOW_TURNS,
        SUMMARY_BLOCK_TURNS,
        INGEST_POLL_MS: '200',
      },
      orchestrator: {
        TURN_STEP_TIMEOUT_MS: SLOW_MS,
        TURN_TIMEOUT_MS: SLOW_MS,
        PROMPT_VARIANTS: JSON.stringify(EVAL_PROMPT_ROLLOUT),
      },
      bff: {
        CHAT_MAX_DURATION_MS: SLOW_MS,
        UPSTREAM_TIMEOUT_MS: SLOW_MS,
        // Sequential eval requests stay far below these; the defaults would still be enough.
        RATE_LIMIT_DEFAULT_RPM: '100000',
      },
    },
    startTimeoutMs: 300_000,
    onReady: (service, ms) =>
      log(`${service.app} ready on ${service.address} in ${(ms / 1000).toFixed(0)} s`),
  });
  try {
    const { db } = platform;
    const apiKey = createKey(db.url);
    const micro = (usd: number) => Math.round(usd * 1_000_000);
    return {
      baseURL: `${platform.bffUrl}/v1`,
      apiKey,
      newApiKey: () => createKey(db.url),
      models: registry.models.map((m) => ({
        id: m.id,
        aliases: m.aliases ?? [],
        price: {
          input: micro(m.price.inputUsdPerMillionTokens),
          output: micro(m.price.outputUsdPerMillionTokens),
        },
      })),
      logs: () => platform.services.map((s) => `===== ${s.app} (${s.address})\n${s.log}`).join('\n'),
      close: () => platform.close(),
    };
  } catch (error) {
    await platform.close();
    throw error;
  }
}

/** A tenant and key through the BFF's admin CLI, as an operator would make them. */
function createKey(databaseUrl: string): string {
  const admin = (...args: string[]) => {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join('apps', 'experience', 'bff', 'src', 'admin', 'admin.cli.ts'),
        ...args,
        '--json',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl } },
    );
    if (result.status !== 0) throw new Error(`admin ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
  };
  const tenant = admin('tenants', 'create', 'Quality eval', '--slug', `eval-${Date.now()}`);
  return admin('keys', 'create', '--tenant', tenant.id, '--user', 'eval')['secret'];
}
