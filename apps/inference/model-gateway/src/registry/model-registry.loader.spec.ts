import { join } from 'node:path';

import { loadRegistryFile, parseRegistry, RegistryLoadError } from './model-registry.loader';

const SHA = 'a'.repeat(64);
const TENANT = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';
const OTHER_TENANT = '5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43';

const yaml = (models: string) => `
version: 1
routing: { statsIntervalMs: 250 }
quotas:
  defaults: { tenant: { tokensPerMinute: 1000 } }
  apiKeys: { '${TENANT}': { tokensPerDay: 50 } }
models:
${models}`;

const small = `
  - id: tiny-small
    aliases: [fast]
    tier: cpu-small
    sha256: '${SHA}'
    contextLength: 2048
    price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.4 }
    fallbacks: [tiny-large]
    workers: { endpoints: ['127.0.0.1:50001', '127.0.0.1:50002'] }
    defaults: { temperature: 0.7, maxTokens: 256 }`;

const large = `
  - id: tiny-large
    aliases: [capable]
    tier: cpu-large
    sha256: '${SHA}'
    contextLength: 4096
    price: { inputUsdPerMillionTokens: 1.25, outputUsdPerMillionTokens: 5 }
    workers: { dns: 'workers.hearth.svc:50056' }
    tenants: ['${TENANT}']`;

function problemsOf(text: string, path = 'registry.yaml'): string[] {
  try {
    parseRegistry(text, path);
  } catch (error) {
    if (error instanceof RegistryLoadError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the registry to be rejected');
}

describe(parseRegistry.name, () => {
  it('resolves ids and aliases, applies defaults and converts prices to integer micro-dollars', () => {
    const sut = parseRegistry(yaml(small + large), 'registry.yaml');

    const fast = sut.resolve('fast', TENANT);
    expect(fast?.id).toBe('tiny-small');
    expect(sut.resolve('tiny-small', TENANT)).toBe(fast);
    expect(fast).toMatchObject({
      tier: 'cpu-small',
      workerModelId: 'tiny-small',
      maxOutputTokens: 2048,
      prices: [
        {
          effectiveFrom: 0,
          currency: 'USD',
          inputMicrosPerMillion: 100_000n,
          cachedInputMicrosPerMillion: 100_000n,
          outputMicrosPerMillion: 400_000n,
        },
      ],
      capabilities: ['chat'],
      workers: { endpoints: ['127.0.0.1:50001', '127.0.0.1:50002'] },
    });
    expect(sut.resolve('capable', TENANT)?.workers).toEqual({
      dns: 'workers.hearth.svc:50056',
      refreshMs: 10_000,
    });
    expect(sut.routing).toMatchObject({
      statsIntervalMs: 250,
      statsTimeoutMs: 500,
      maxAttemptsPerModel: 2,
      breaker: { consecutiveFailures: 3 },
    });
    expect(sut.models.map((m) => m.id)).toEqual(['tiny-large', 'tiny-small']);
  });

  it('hides a model from tenants outside its allowlist, also in fallback chains', () => {
    const sut = parseRegistry(yaml(small + large), 'registry.yaml');
    const fast = sut.resolve('fast', OTHER_TENANT);

    expect(sut.resolve('capable', OTHER_TENANT)).toBeUndefined();
    expect(sut.candidates(fast!, OTHER_TENANT).map((m) => m.id)).toEqual(['tiny-small']);
    expect(sut.candidates(fast!, TENANT).map((m) => m.id)).toEqual(['tiny-small', 'tiny-large']);
    expect(sut.visibleModels(OTHER_TENANT).map((m) => m.id)).toEqual(['tiny-small']);
  });

  it('gives a caller the per-key override and the tenant default', () => {
    const sut = parseRegistry(yaml(small + large), 'registry.yaml');

    expect(sut.limitsFor(OTHER_TENANT, TENANT)).toEqual({
      tenant: { tokensPerMinute: 1000 },
      apiKey: { tokensPerDay: 50 },
    });
    expect(sut.limitsFor(OTHER_TENANT, OTHER_TENANT)).toEqual({
      tenant: { tokensPerMinute: 1000 },
      apiKey: {},
    });
  });

  it('reads JSON files as JSON', () => {
    const json = JSON.stringify({
      version: 1,
      models: [
        {
          id: 'm',
          tier: 't',
          sha256: SHA,
          contextLength: 512,
          price: { inputUsdPerMillionTokens: 0, outputUsdPerMillionTokens: 0 },
          workers: { endpoints: ['localhost:1'] },
        },
      ],
    });

    expect(parseRegistry(json, 'registry.json').resolve('m', TENANT)?.contextLength).toBe(512);
  });

  it('names every bad field of an invalid file', () => {
    const bad = yaml(
      `
  - id: tiny-small
    aliases: [fast]
    tier: cpu-small
    sha256: 'not-a-sha'
    contextLength: 0
    price: { inputUsdPerMillionTokens: -1, outputUsdPerMillionTokens: 0.4 }
    fallbacks: [nowhere, tiny-small]
    workers: { endpoints: ['no-port'] }
    surprise: true` + large.replace('aliases: [capable]', 'aliases: [fast]'),
    );

    const problems = problemsOf(bad);

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^models\.0\.sha256: expected 64 lowercase hex/),
        expect.stringMatching(/^models\.0\.contextLength: /),
        expect.stringMatching(/^models\.0\.price\.inputUsdPerMillionTokens: /),
        expect.stringMatching(/^models\.0: .*surprise/),
      ]),
    );
  });

  it('rejects duplicate names and fallbacks that point nowhere or at the model itself', () => {
    const problems = problemsOf(
      yaml(
        small.replace('fallbacks: [tiny-large]', 'fallbacks: [nowhere, tiny-small]') +
          large.replace('aliases: [capable]', 'aliases: [fast]'),
      ),
    );

    expect(problems).toEqual([
      'models.1.aliases.0: "fast" is already used by model tiny-small',
      'models.0.fallbacks.0: unknown model id "nowhere"',
      'models.0.fallbacks.1: a model cannot fall back to itself',
    ]);
  });

  it('tells a value of the wrong type from a missing one', () => {
    const problems = problemsOf(yaml(small.replace(`sha256: '${SHA}'`, `sha256: ${'1'.repeat(64)}`)));

    expect(problems).toEqual(['models.0.sha256: Invalid input: expected string, received number']);
  });

  it('reports unparsable text and a missing model list clearly', () => {
    expect(problemsOf('version: 1\nmodels: [', 'r.yaml')[0]).toMatch(/^not valid YAML: /);
    expect(problemsOf('{"version": 1', 'r.json')[0]).toMatch(/^not valid JSON: /);
    expect(problemsOf('version: 1\n')).toEqual(['models: required but missing']);
  });

  it('refuses a chat template that does not parse, drops messages or opens no assistant turn', () => {
    const withTemplate = (template: string) =>
      yaml(
        small.replace('tier: cpu-small', `tier: cpu-small\n    chatTemplate: ${JSON.stringify(template)}`) +
          large,
      );

    expect(problemsOf(withTemplate('{% for message in messages %}'))).toEqual([
      expect.stringMatching(/^models\.0\.chatTemplate: is not a valid Jinja template: /),
    ]);
    expect(problemsOf(withTemplate('{% for m in messages %}{{ m.role }}{% endfor %}'))).toEqual([
      'models.0.chatTemplate: drops message text (user, assistant, user) from the rendered prompt',
      'models.0.chatTemplate: opens no assistant turn when add_generation_prompt is true',
    ]);
    expect(
      parseRegistry(
        withTemplate(
          '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}',
        ),
        'registry.yaml',
      ).resolve('fast', TENANT)?.chatTemplate,
    ).toMatch(/^\{% for m in messages/);
  });

  it('accepts the local registry npm start uses', async () => {
    const local = await loadRegistryFile(
      join(__dirname, '..', '..', '..', '..', '..', 'deploy', 'local', 'model-registry.yaml'),
    );

    expect(local.resolve('default', TENANT)?.id).toBe('smollm2-135m-instruct');
    expect(local.resolve('embeddings', TENANT)?.chatTemplate).toContain('<start_of_turn>');
  });

  it('accepts the example registry shipped with the app', async () => {
    const example = await loadRegistryFile(
      join(__dirname, '..', '..', 'config', 'model-registry.example.yaml'),
    );

    expect(example.resolve('capable', TENANT)?.fallbacks).toEqual(['gemma-3-270m-it']);
  });
});
