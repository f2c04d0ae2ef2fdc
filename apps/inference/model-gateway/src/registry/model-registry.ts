// Owns the read side of one validated registry snapshot: name and alias resolution, per-tenant
// visibility, fallback chains, price periods and the quota limits of a caller. A
// snapshot is immutable; a reload builds a new one.
import { toPricePeriods, type PricePeriod } from './model-pricing';
import type {
  ModelCapabilityName,
  ModelDefinition,
  QuotaPolicy,
  RegistryFile,
  RoutingPolicy,
  TokenLimits,
  WorkerPoolDefinition,
} from './model-registry.schema';

export interface RegisteredModel {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly tier: string;
  readonly workerModelId: string;
  readonly sha256: string;
  readonly contextLength: number;
  readonly maxOutputTokens: number;
  /** Price periods in effectiveFrom order (see model-pricing.ts). */
  readonly prices: readonly PricePeriod[];
  readonly fallbacks: readonly string[];
  readonly capabilities: readonly ModelCapabilityName[];
  readonly workers: WorkerPoolDefinition;
  readonly defaults: ModelDefinition['defaults'];
  readonly tenants?: ReadonlySet<string>;
  /** The registry's Jinja chat template (models whose GGUF has none); undefined: the GGUF's own. */
  readonly chatTemplate?: string;
}

export interface CallerLimits {
  readonly tenant: TokenLimits;
  readonly apiKey: TokenLimits;
}

export class ModelRegistry {
  private readonly byName = new Map<string, RegisteredModel>();
  readonly models: readonly RegisteredModel[];

  constructor(
    private readonly file: RegistryFile,
    /** sha256 of the file's bytes, to log which version is live. */
    readonly version: string,
  ) {
    this.models = file.models.map(toRegisteredModel).sort((a, b) => a.id.localeCompare(b.id));
    for (const model of this.models) {
      this.byName.set(model.id, model);
      for (const alias of model.aliases) this.byName.set(alias, model);
    }
  }

  get routing(): RoutingPolicy {
    return this.file.routing;
  }

  get quotas(): QuotaPolicy {
    return this.file.quotas;
  }

  /** The model a name or alias stands for, if `tenantId` may use it. */
  resolve(name: string, tenantId: string): RegisteredModel | undefined {
    const model = this.byName.get(name);
    return model && isVisibleTo(model, tenantId) ? model : undefined;
  }

  /** The model itself, then its fallbacks in order (those the tenant may use). */
  candidates(model: RegisteredModel, tenantId: string): RegisteredModel[] {
    const chain = [model];
    for (const id of model.fallbacks) {
      const fallback = this.byName.get(id);
      if (fallback && isVisibleTo(fallback, tenantId)) chain.push(fallback);
    }
    return chain;
  }

  visibleModels(tenantId: string): RegisteredModel[] {
    return this.models.filter((model) => isVisibleTo(model, tenantId));
  }

  limitsFor(tenantId: string, apiKeyId: string): CallerLimits {
    const { defaults, tenants, apiKeys } = this.file.quotas;
    return { tenant: tenants[tenantId] ?? defaults.tenant, apiKey: apiKeys[apiKeyId] ?? defaults.apiKey };
  }
}

function isVisibleTo(model: RegisteredModel, tenantId: string): boolean {
  return model.tenants === undefined || model.tenants.has(tenantId);
}

function toRegisteredModel(model: ModelDefinition): RegisteredModel {
  return {
    id: model.id,
    aliases: model.aliases,
    tier: model.tier,
    workerModelId: model.workerModelId ?? model.id,
    sha256: model.sha256,
    contextLength: model.contextLength,
    maxOutputTokens: Math.min(model.maxOutputTokens ?? model.contextLength, model.contextLength),
    prices: toPricePeriods(model),
    fallbacks: model.fallbacks,
    capabilities: model.capabilities,
    workers: model.workers,
    defaults: model.defaults,
    tenants: model.tenants ? new Set(model.tenants) : undefined,
    chatTemplate: model.chatTemplate,
  };
}
