// Owns the shape of the model registry file (YAML or JSON): the models with their aliases, tier,
// worker pool, pinned weights, context length, prices and fallback chain, plus the routing and quota
// policy. Cross-field rules (unique names, fallbacks that exist, chat templates that render) are
// checked here too, so a file that parses is a registry the gateway can serve.
import { z } from 'zod';

import { chatTemplateProblems } from './chat-template.validator';

const modelId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'expected 1-128 letters, digits, ".", "_", ":" or "-"');

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port, e.g. 10.0.0.7:50056');

const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();

/** Where a model's workers are: a fixed list, or a DNS name with one address per worker (headless service). */
export const workerPoolSchema = z.union([
  z.strictObject({ endpoints: z.array(hostPort).min(1) }),
  z.strictObject({
    dns: hostPort.describe('name:port; every A/AAAA record is one worker'),
    refreshMs: positiveInt.default(10_000),
  }),
]);

/** Money per million tokens, at most six decimals (integer micro-units once loaded). */
const perMillion = z
  .number()
  .nonnegative()
  .max(100_000)
  .refine((value) => Math.abs(value * 1e6 - Math.round(value * 1e6)) < 1e-6, 'at most six decimals');

/**
 * One price period. A new price is added as a new period with a later `effectiveFrom`, never by
 * editing one that already applied: a request is priced by the period in force when it was metered.
 */
export const pricePeriodSchema = z.strictObject({
  effectiveFrom: z.iso.datetime({ offset: true }),
  /** ISO 4217 code; one registry bills in one currency (budgets compare sums across models). */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD')
    .default('USD'),
  inputPerMillionTokens: perMillion,
  /** Prompt tokens served from the prefix cache; defaults to the input price. */
  cachedInputPerMillionTokens: perMillion.optional(),
  outputPerMillionTokens: perMillion,
});

export const capabilitySchema = z.enum(['chat', 'embeddings', 'tools', 'json_schema', 'vision']);

export const modelSchema = z.strictObject({
  id: modelId,
  aliases: z.array(modelId).default([]),
  tier: z.string().min(1).max(64),
  /** Id the workers load the model under (their MODEL_ID); defaults to `id`. */
  workerModelId: modelId.optional(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters'),
  contextLength: positiveInt,
  /** A single USD price applying since the epoch (the original form); or `prices` below. */
  price: z
    .strictObject({
      inputUsdPerMillionTokens: z.number().nonnegative(),
      cachedInputUsdPerMillionTokens: z.number().nonnegative().optional(),
      outputUsdPerMillionTokens: z.number().nonnegative(),
    })
    .optional(),
  /** Price periods: each applies from its `effectiveFrom` until the next one's. */
  prices: z.array(pricePeriodSchema).min(1).optional(),
  fallbacks: z.array(modelId).default([]),
  capabilities: z.array(capabilitySchema).min(1).default(['chat']),
  workers: workerPoolSchema,
  /** Sampling defaults for unset request fields. */
  defaults: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      topK: nonNegativeInt.optional(),
      minP: z.number().min(0).max(1).optional(),
      maxTokens: positiveInt.optional(),
    })
    .default({}),
  /** Upper bound on max_tokens; defaults to the context length. */
  maxOutputTokens: positiveInt.optional(),
  /** Tenants allowed to use the model; absent means every tenant. */
  tenants: z.array(z.uuid()).optional(),
  /**
   * Jinja chat template for a model whose GGUF carries none (tokenizer.chat_template), sent to its
   * workers with every chat request. A GGUF's own template always wins: setting one here for such a
   * model is refused when its workers report their own (see chat-template.audit.ts).
   */
  chatTemplate: z
    .string()
    .min(1)
    .superRefine((template, ctx) => {
      for (const problem of chatTemplateProblems(template))
        ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export const routingSchema = z
  .strictObject({
    statsIntervalMs: positiveInt.default(1_000),
    /**
     * Stats interval once no request has come for that long (never below statsIntervalMs): an idle
     * gateway polls its workers rarely; the next request polls them at once.
     */
    statsIdleIntervalMs: positiveInt.default(5_000),
    statsTimeoutMs: positiveInt.default(500),
    /** Workers of one model tried before moving down the fallback chain. */
    maxAttemptsPerModel: positiveInt.default(2),
    /** An attempt that has not produced its first token by then is abandoned and retried elsewhere. */
    firstTokenTimeoutMs: positiveInt.default(30_000),
    breaker: z
      .strictObject({
        consecutiveFailures: positiveInt.default(3),
        halfOpenAfterMs: positiveInt.default(5_000),
      })
      .default({ consecutiveFailures: 3, halfOpenAfterMs: 5_000 }),
  })
  .default({
    statsIntervalMs: 1_000,
    statsIdleIntervalMs: 5_000,
    statsTimeoutMs: 500,
    maxAttemptsPerModel: 2,
    firstTokenTimeoutMs: 30_000,
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 5_000 },
  });

/** Token limits of one tenant or key; an absent limit is unlimited. */
export const tokenLimitsSchema = z.strictObject({
  tokensPerMinute: positiveInt.optional(),
  tokensPerDay: positiveInt.optional(),
});

export const quotasSchema = z
  .strictObject({
    defaults: z
      .strictObject({ tenant: tokenLimitsSchema.default({}), apiKey: tokenLimitsSchema.default({}) })
      .default({ tenant: {}, apiKey: {} }),
    tenants: z.record(z.uuid(), tokenLimitsSchema).default({}),
    apiKeys: z.record(z.uuid(), tokenLimitsSchema).default({}),
  })
  .default({ defaults: { tenant: {}, apiKey: {} }, tenants: {}, apiKeys: {} });

export const registryFileSchema = z
  .strictObject({
    version: z.literal(1),
    routing: routingSchema,
    quotas: quotasSchema,
    models: z.array(modelSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const owners = new Map<string, string>();
    file.models.forEach((model, index) => {
      for (const [name, path] of [
        [model.id, ['models', index, 'id']],
        ...model.aliases.map((alias, j) => [alias, ['models', index, 'aliases', j]] as const),
      ] as const) {
        const owner = owners.get(name);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [...path],
            message: `"${name}" is already used by model ${owner}`,
          });
        } else owners.set(name, model.id);
      }
    });
    const currencies = new Set<string>();
    file.models.forEach((model, index) => {
      if ((model.price === undefined) === (model.prices === undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'prices'],
          message: 'set exactly one of price and prices',
        });
      (model.prices ?? []).forEach((period, j) => {
        currencies.add(period.currency);
        const previous = model.prices?.[j - 1];
        if (previous && Date.parse(previous.effectiveFrom) >= Date.parse(period.effectiveFrom))
          ctx.addIssue({
            code: 'custom',
            path: ['models', index, 'prices', j, 'effectiveFrom'],
            message: 'price periods must be in strictly increasing effectiveFrom order',
          });
      });
      if (model.price) currencies.add('USD');
    });
    if (currencies.size > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['models'],
        message: `every price must be in one currency (found ${[...currencies].sort().join(', ')})`,
      });
    const ids = new Set(file.models.map((model) => model.id));
    file.models.forEach((model, index) => {
      model.fallbacks.forEach((fallback, j) => {
        const path = ['models', index, 'fallbacks', j];
        if (fallback === model.id)
          ctx.addIssue({ code: 'custom', path, message: 'a model cannot fall back to itself' });
        else if (!ids.has(fallback))
          ctx.addIssue({ code: 'custom', path, message: `unknown model id "${fallback}"` });
      });
      if (
        model.defaults.maxTokens !== undefined &&
        model.defaults.maxTokens > (model.maxOutputTokens ?? model.contextLength)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'defaults', 'maxTokens'],
          message: 'exceeds maxOutputTokens (or the context length)',
        });
      }
    });
  });

export type RegistryFile = z.output<typeof registryFileSchema>;
export type ModelDefinition = z.output<typeof modelSchema>;
export type WorkerPoolDefinition = z.output<typeof workerPoolSchema>;
export type RoutingPolicy = z.output<typeof routingSchema>;
export type QuotaPolicy = z.output<typeof quotasSchema>;
export type TokenLimits = z.output<typeof tokenLimitsSchema>;
export type PricePeriodDefinition = z.output<typeof pricePeriodSchema>;
export type ModelCapabilityName = z.output<typeof capabilitySchema>;
