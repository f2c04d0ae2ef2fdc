// Owns the non-streaming model calls: ListModels from the registry (with live availability),
// Tokenize passed through to a worker of the resolved model (not metered), and Embed, which is routed,
// quota-checked and metered like generation but has no stream, so it simply retries on another worker.
import { gatewayV1 } from '@hearth/contracts';
import { deadlineExceeded, invalidArgument, unavailable } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import type { BudgetGuardService, BudgetReservation } from '../budget/budget-guard.service';
import { gatewayCaller, resolveModel, validateRequestId } from '../generation/generation-request.normalizer';
import { settleQuotaUnused } from '../generation/generation.settlement';
import type { UsageMeterService } from '../metering/usage-meter.service';
import type { TokenQuotaService } from '../quota/token-quota.service';
import { chargeFor, maxCostMicros, priceAt, type Charge } from '../registry/model-pricing';
import type { RegisteredModel } from '../registry/model-registry';
import type { ModelCapabilityName } from '../registry/model-registry.schema';
import type { ModelRegistryService } from '../registry/model-registry.service';
import {
  isRetryableBeforeFirstToken,
  toWorkerCallError,
  type WorkerCallError,
} from '../workers/worker-failure.classifier';
import type { WorkerPoolService } from '../workers/worker-pool.service';
import type { WorkerHandle } from '../workers/worker.handle';

const CAPABILITIES: Record<ModelCapabilityName, gatewayV1.ModelCapability> = {
  chat: gatewayV1.ModelCapability.MODEL_CAPABILITY_CHAT,
  embeddings: gatewayV1.ModelCapability.MODEL_CAPABILITY_EMBEDDINGS,
  tools: gatewayV1.ModelCapability.MODEL_CAPABILITY_TOOLS,
  json_schema: gatewayV1.ModelCapability.MODEL_CAPABILITY_JSON_SCHEMA,
  vision: gatewayV1.ModelCapability.MODEL_CAPABILITY_VISION,
};

const UNARY_TIMEOUT_MS = 30_000;
const MAX_EMBED_INPUTS = 256;

export interface ModelCatalogDeps {
  registry: ModelRegistryService;
  pools: WorkerPoolService;
  quota: TokenQuotaService;
  budgets: BudgetGuardService;
  meter: UsageMeterService;
  logger: Logger;
}

export class ModelCatalogService {
  constructor(private readonly deps: ModelCatalogDeps) {}

  listModels(request: gatewayV1.ListModelsRequest): gatewayV1.ListModelsResponse {
    const tenantId = gatewayCaller(request.caller).tenantId;
    const now = new Date();
    return {
      models: this.deps.registry
        .current()
        .visibleModels(tenantId)
        .map((model) => ({ model, price: priceAt(model.prices, now) }))
        .map(({ model, price }) => ({
          id: model.id,
          aliases: [...model.aliases],
          tier: model.tier,
          contextLength: model.contextLength,
          inputMicroUsdPerMillionTokens: Number(price.inputMicrosPerMillion),
          outputMicroUsdPerMillionTokens: Number(price.outputMicrosPerMillion),
          sha256: model.sha256,
          fallbacks: [...model.fallbacks],
          capabilities: model.capabilities.map((capability) => CAPABILITIES[capability]),
          available: this.deps.pools.isAvailable(model),
          maxOutputTokens: model.maxOutputTokens,
          defaultMaxTokens: model.defaults.maxTokens ?? model.maxOutputTokens,
        })),
    };
  }

  async tokenize(
    request: gatewayV1.TokenizeRequest,
    callDeadline?: number,
  ): Promise<gatewayV1.TokenizeResponse> {
    const caller = gatewayCaller(request.caller);
    const model = resolveModel(this.deps.registry.current(), request.model, caller.tenantId);
    if ((request.text !== '') === request.messages.length > 0)
      throw invalidArgument('exactly one of text or messages must be set');
    const response = await this.withWorker(model, callDeadline, (worker, deadline) =>
      worker.client.tokenize(
        {
          modelId: model.workerModelId,
          text: request.text,
          messages: request.messages,
          tools: request.tools,
          returnTokenIds: request.returnTokenIds,
          chatTemplate: request.messages.length > 0 ? (model.chatTemplate ?? '') : '',
        },
        deadline,
      ),
    );
    return { ...response, modelId: model.id };
  }

  async embed(request: gatewayV1.EmbedRequest, callDeadline?: number): Promise<gatewayV1.EmbedResponse> {
    const receivedAt = Date.now();
    const caller = gatewayCaller(request.caller);
    const requestId = validateRequestId(request.requestId);
    const registry = this.deps.registry.current();
    const model = resolveModel(registry, request.model, caller.tenantId);
    if (!model.capabilities.includes('embeddings'))
      throw invalidArgument(`model "${model.id}" does not produce embeddings`);
    if (request.inputs.length === 0 || request.inputs.length > MAX_EMBED_INPUTS)
      throw invalidArgument(`inputs must hold 1 to ${MAX_EMBED_INPUTS} texts`);

    const bound = request.inputs.reduce(
      (sum, input) => sum + Math.min(model.contextLength, Buffer.byteLength(input) + 2),
      0,
    );
    const reservation = await this.deps.quota.reserve(
      caller,
      registry.limitsFor(caller.tenantId, caller.apiKeyId),
      bound,
    );
    let budget: BudgetReservation;
    try {
      budget = await this.deps.budgets.reserve(
        caller,
        requestId,
        maxCostMicros(model.prices, bound, 0, new Date()),
      );
    } catch (error) {
      settleQuotaUnused(this.deps, reservation);
      throw error;
    }
    let inputTokens = 0;
    let outcome: 'completed' | 'failed' = 'failed';
    let charge: Charge | undefined;
    try {
      const response = await this.withWorker(model, callDeadline, (worker, deadline) =>
        worker.client
          .embed({ requestId, modelId: model.workerModelId, inputs: request.inputs }, deadline)
          .then((result) => ({ result, worker })),
      );
      inputTokens = response.result.usage?.promptTokens ?? 0;
      outcome = 'completed';
      charge = chargeFor(model.prices, { inputTokens, cachedTokens: 0, outputTokens: 0 }, new Date());
      const usage = response.result.usage;
      return {
        embeddings: response.result.embeddings,
        usage: usage && { ...usage, costMicros: charge.costMicros, currency: charge.currency },
        servedBy: {
          modelId: model.id,
          modelSha256: model.sha256,
          workerId: response.worker.stats?.workerId ?? response.worker.address,
          fallback: false,
        },
      };
    } finally {
      this.deps.quota
        .settle(reservation, inputTokens)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, requestId }, 'quota settlement failed'),
        );
      charge ??= chargeFor(model.prices, { inputTokens, cachedTokens: 0, outputTokens: 0 }, new Date());
      this.deps.budgets
        .settle(budget, charge.costMicros, charge.pricedAt)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, requestId }, 'budget settlement failed'),
        );
      void this.deps.meter.record({
        ...caller,
        requestId,
        model,
        inputTokens,
        cachedTokens: 0,
        outputTokens: 0,
        latencyMs: Date.now() - receivedAt,
        status: outcome,
        operation: 'embeddings',
        charge,
      });
    }
  }

  /** Runs a unary call on the least-loaded worker, once more on another if the first is unreachable or full. */
  private async withWorker<T>(
    model: RegisteredModel,
    callDeadline: number | undefined,
    call: (worker: WorkerHandle, deadline: number) => Promise<T>,
  ): Promise<T> {
    const deadline = Math.min(callDeadline ?? Infinity, Date.now() + UNARY_TIMEOUT_MS);
    const tried = new Set<string>();
    let lastError: WorkerCallError | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const worker = this.deps.pools.pick(model, tried);
      if (!worker) break;
      tried.add(worker.address);
      const release = worker.acquire();
      try {
        return await worker.breaker.execute(async () => {
          try {
            return await call(worker, deadline);
          } catch (error) {
            throw toWorkerCallError(error);
          }
        });
      } catch (error) {
        lastError = toWorkerCallError(error);
        if (!isRetryableBeforeFirstToken(lastError.code) || lastError.code === status.DEADLINE_EXCEEDED)
          break;
      } finally {
        release();
      }
    }
    if (lastError && !isRetryableBeforeFirstToken(lastError.code)) throw lastError.passOn();
    if (lastError?.code === status.DEADLINE_EXCEEDED)
      throw deadlineExceeded(`model "${model.id}" did not answer in time`);
    throw unavailable(`no healthy worker serves model "${model.id}"`);
  }
}
