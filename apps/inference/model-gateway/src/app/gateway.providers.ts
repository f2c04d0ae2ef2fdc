// The gateway's services, built from its config and each other. The registry file is loaded while
// the module is built (a bad file stops start-up before any connection opens); Redis and the Kafka
// producer come from their modules (see gateway.module.ts).
import type { ModelGatewayConfig } from '@hearth/config';
import { EventProducer } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';

import { BudgetGuardService } from '../budget/budget-guard.service';
import { ResponseCacheService } from '../cache/response-cache.service';
import { GenerationService } from '../generation/generation.service';
import { StructuredOutputGuard } from '../guard/structured-output.guard';
import { UsageMeterService } from '../metering/usage-meter.service';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { ModelCatalogService } from '../models/model-catalog.service';
import { TokenQuotaService } from '../quota/token-quota.service';
import { ModelRegistryService } from '../registry/model-registry.service';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from './gateway.constants';

export const gatewayProviders: Provider[] = [
  { provide: GatewayMetrics, useFactory: () => new GatewayMetrics() },
  {
    provide: ModelRegistryService,
    inject: [GATEWAY_CONFIG, GATEWAY_LOGGER],
    useFactory: async (config: ModelGatewayConfig, logger: Logger) => {
      const registry = new ModelRegistryService({
        path: config.registryPath,
        pollMs: config.registryPollMs,
        logger,
      });
      await registry.start();
      return registry;
    },
  },
  {
    provide: WorkerPoolService,
    inject: [ModelRegistryService, GatewayMetrics, GATEWAY_LOGGER, GATEWAY_CONFIG],
    useFactory: (
      registry: ModelRegistryService,
      metrics: GatewayMetrics,
      logger: Logger,
      config: ModelGatewayConfig,
    ) => new WorkerPoolService({ registry, logger, metrics, cacheRouting: config.cacheRouting }),
  },
  {
    provide: TokenQuotaService,
    inject: [Redis, GatewayMetrics, GATEWAY_LOGGER],
    useFactory: (redis: Redis, metrics: GatewayMetrics, logger: Logger) =>
      new TokenQuotaService(redis, metrics, logger),
  },
  {
    provide: BudgetGuardService,
    inject: [Redis, GatewayMetrics, GATEWAY_LOGGER, GATEWAY_CONFIG],
    useFactory: (redis: Redis, metrics: GatewayMetrics, logger: Logger, config: ModelGatewayConfig) =>
      new BudgetGuardService(redis, metrics, logger, { failClosedScopes: config.budgetFailClosedScopes }),
  },
  {
    provide: ResponseCacheService,
    inject: [Redis, GATEWAY_CONFIG],
    useFactory: (redis: Redis, config: ModelGatewayConfig) =>
      new ResponseCacheService(redis, config.responseCacheTtlSeconds),
  },
  {
    provide: UsageMeterService,
    inject: [Redis, EventProducer, GatewayMetrics, GATEWAY_CONFIG, GATEWAY_LOGGER],
    useFactory: (
      redis: Redis,
      producer: EventProducer,
      metrics: GatewayMetrics,
      config: ModelGatewayConfig,
      logger: Logger,
    ) =>
      new UsageMeterService({
        redis,
        producer,
        logger,
        metrics,
        dedupeTtlSeconds: config.usageDedupeTtlSeconds,
      }),
  },
  {
    provide: StructuredOutputGuard,
    inject: [GatewayMetrics],
    useFactory: (metrics: GatewayMetrics) => new StructuredOutputGuard(metrics),
  },
  {
    provide: GenerationService,
    inject: [
      ModelRegistryService,
      WorkerPoolService,
      TokenQuotaService,
      BudgetGuardService,
      ResponseCacheService,
      UsageMeterService,
      StructuredOutputGuard,
      GatewayMetrics,
      GATEWAY_LOGGER,
      GATEWAY_CONFIG,
    ],
    useFactory: (
      registry: ModelRegistryService,
      pools: WorkerPoolService,
      quota: TokenQuotaService,
      budgets: BudgetGuardService,
      cache: ResponseCacheService,
      meter: UsageMeterService,
      guard: StructuredOutputGuard,
      metrics: GatewayMetrics,
      logger: Logger,
      config: ModelGatewayConfig,
    ) =>
      new GenerationService({
        registry,
        pools,
        quota,
        budgets,
        cache,
        meter,
        guard,
        metrics,
        logger,
        maxDurationMs: config.generateMaxDurationMs,
      }),
  },
  {
    provide: ModelCatalogService,
    inject: [
      ModelRegistryService,
      WorkerPoolService,
      TokenQuotaService,
      BudgetGuardService,
      UsageMeterService,
      GATEWAY_LOGGER,
    ],
    useFactory: (
      registry: ModelRegistryService,
      pools: WorkerPoolService,
      quota: TokenQuotaService,
      budgets: BudgetGuardService,
      meter: UsageMeterService,
      logger: Logger,
    ) => new ModelCatalogService({ registry, pools, quota, budgets, meter, logger }),
  },
];
