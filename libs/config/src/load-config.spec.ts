import { ConfigError, loadConfig } from './load-config';
import { inferenceWorkerConfigSchema } from './services/inference-worker.config';
import { orchestratorConfigSchema } from './services/orchestrator.config';
import { safetyServiceConfigSchema } from './services/safety-service.config';

const orchestratorEnv = {
  GRPC_PORT: '50051',
  DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:55432/hearth',
  REDIS_URL: 'redis://127.0.0.1:56379',
  KAFKA_BROKERS: '127.0.0.1:59092, 127.0.0.1:59094',
  MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
  CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052',
  SAFETY_SERVICE_ADDRESS: '127.0.0.1:50053',
  TOOL_RUNNER_ADDRESS: '127.0.0.1:50054',
};

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(loadConfig.name, () => {
  it('parses env into the nested, typed shape with defaults applied', () => {
    const sut = loadConfig(orchestratorConfigSchema, orchestratorEnv);
    expect(sut.service).toBe('orchestrator');
    expect(sut.grpc).toEqual({ host: '0.0.0.0', port: 50051 });
    expect(sut.kafkaBrokers).toEqual(['127.0.0.1:59092', '127.0.0.1:59094']);
    expect(sut.turn).toEqual({ maxToolRounds: 5, maxTokens: 16384 });
    expect(sut.logLevel).toBe('info');
  });

  it('returns a deeply frozen object', () => {
    const sut = loadConfig(orchestratorConfigSchema, orchestratorEnv);
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.upstreams)).toBe(true);
    expect(() => {
      (sut.turn as { maxToolRounds: number }).maxToolRounds = 99;
    }).toThrow(TypeError);
  });

  it('names a missing variable', () => {
    const { DATABASE_URL: _omitted, ...env } = orchestratorEnv;
    expect(problemsOf(() => loadConfig(orchestratorConfigSchema, env))).toEqual([
      'DATABASE_URL: required but not set',
    ]);
  });

  it('treats an empty value as unset', () => {
    expect(
      problemsOf(() => loadConfig(orchestratorConfigSchema, { ...orchestratorEnv, REDIS_URL: '' })),
    ).toEqual(['REDIS_URL: required but not set']);
  });

  it('lists every malformed variable at once, each by name', () => {
    const problems = problemsOf(() =>
      loadConfig(orchestratorConfigSchema, {
        ...orchestratorEnv,
        DATABASE_URL: 'mysql://x@y/z',
        GRPC_PORT: '70000',
        KAFKA_BROKERS: 'not-an-address',
        TURN_MAX_TOOL_ROUNDS: 'many',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(problems).toHaveLength(5);
    for (const key of ['DATABASE_URL', 'GRPC_PORT', 'KAFKA_BROKERS', 'TURN_MAX_TOOL_ROUNDS', 'LOG_LEVEL']) {
      expect(problems.some((p) => p.startsWith(`${key}`))).toBe(true);
    }
  });

  it('puts every problem in the error message so a failed start-up log shows them all', () => {
    expect(() => loadConfig(inferenceWorkerConfigSchema, { MODEL_SHA256: 'abc', WORKER_GPU: 'tpu' })).toThrow(
      /3 problems[\s\S]*MODEL_SOURCE: required but not set[\s\S]*MODEL_SHA256[\s\S]*WORKER_GPU/,
    );
  });

  it('sets the worker thread count explicitly rather than leaving the library default', () => {
    const sut = loadConfig(inferenceWorkerConfigSchema, { MODEL_SOURCE: 'model.gguf', WORKER_THREADS: '2' });
    expect(sut.runtime.threads).toBe(2);
    expect(sut.runtime.gpu).toBe('auto');
    expect(sut.model.source).toBe('model.gguf');
  });

  it('takes auto, max or a count of GPU layers and refuses anything else', () => {
    const layers = (value?: string) =>
      loadConfig(inferenceWorkerConfigSchema, { MODEL_SOURCE: 'm.gguf', WORKER_GPU_LAYERS: value }).runtime
        .gpuLayers;
    expect(layers()).toBe('auto');
    expect(layers('max')).toBe('max');
    expect(layers('24')).toBe(24);
    expect(problemsOf(() => layers('most'))).toEqual([
      'WORKER_GPU_LAYERS: expected auto, max or a layer count',
    ]);
    expect(problemsOf(() => layers('-1'))).toEqual([
      'WORKER_GPU_LAYERS: expected auto, max or a layer count',
    ]);
  });

  it('reads speculative drafting and its draft size, refusing unknown modes and out-of-range sizes', () => {
    const drafting = (env: Record<string, string>) =>
      loadConfig(inferenceWorkerConfigSchema, { MODEL_SOURCE: 'm.gguf', ...env }).runtime.drafting;
    expect(drafting({})).toEqual({ mode: 'off', maxDraftTokens: 4 });
    expect(drafting({ WORKER_SPECULATIVE_DRAFTING: 'prompt_lookup', WORKER_DRAFT_TOKENS: '4' })).toEqual({
      mode: 'prompt_lookup',
      maxDraftTokens: 4,
    });
    expect(
      problemsOf(() => drafting({ WORKER_SPECULATIVE_DRAFTING: 'draft_model', WORKER_DRAFT_TOKENS: '33' })),
    ).toEqual([
      'WORKER_SPECULATIVE_DRAFTING: Invalid option: expected one of "off"|"prompt_lookup"',
      expect.stringMatching(/^WORKER_DRAFT_TOKENS: /),
    ]);
  });

  describe('safety service guard model', () => {
    const safetyEnv = { KAFKA_BROKERS: '127.0.0.1:59092', REDIS_URL: 'redis://127.0.0.1:56379' };

    it('uses the rule-based moderator when no guard model is set', () => {
      expect(loadConfig(safetyServiceConfigSchema, safetyEnv).guard).toBeUndefined();
    });

    it('reads the guard model, its gateway and deadline', () => {
      const sut = loadConfig(safetyServiceConfigSchema, {
        ...safetyEnv,
        SAFETY_GUARD_MODEL: 'guard',
        MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
      });
      expect(sut.guard).toEqual({ model: 'guard', gatewayAddress: '127.0.0.1:50055', timeoutMs: 3000 });
    });

    it('refuses a guard model without a gateway address', () => {
      expect(
        problemsOf(() =>
          loadConfig(safetyServiceConfigSchema, { ...safetyEnv, SAFETY_GUARD_MODEL: 'guard' }),
        ),
      ).toEqual(['MODEL_GATEWAY_ADDRESS: MODEL_GATEWAY_ADDRESS is required when SAFETY_GUARD_MODEL is set']);
    });
  });
});
