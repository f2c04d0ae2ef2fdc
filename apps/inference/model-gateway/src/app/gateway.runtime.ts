// Owns the gateway's outside connections and background work, started in dependency order and
// stopped in reverse: the registry (a bad file stops start-up), Redis (pinged), the Kafka producer
// (connected), the worker pools (one Stats round, then every chat model must have exactly one chat
// template: its GGUF's or the registry's), the usage spool drain and the metrics endpoint.
// Any failure at start-up rejects, so main.ts exits instead of serving half a gateway.

import type { ModelGatewayConfig } from '@hearth/config';
import { createKafkaClient, EventProducer } from '@hearth/events';
import { connectRedis, createRedisClient } from '@hearth/redis';
import { sharedMetricsRegistry, ShutdownSteps, startMetricsServer, type Logger } from '@hearth/telemetry';

import { Redis } from 'ioredis';

import { ResponseCacheService } from '../cache/response-cache.service';
import { GenerationService } from '../generation/generation.service';
import { StructuredOutputGuard } from '../guard/structured-output.guard';
import { UsageMeterService } from '../metering/usage-meter.service';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { ModelCatalogService } from '../models/model-catalog.service';
import { TokenQuotaService } from '../quota/token-quota.service';
import { chatTemplateMismatches } from '../registry/chat-template.audit';
import { ModelRegistryService } from '../registry/model-registry.service';
import type { DnsLookup } from '../workers/worker-endpoint.resolver';
import { WorkerPoolService } from '../workers/worker-pool.service';

const CONNECT_TIMEOUT_MS = 10_000;
// Every Redis command is on a request's path or its settlement: none may wait longer than this.
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

export type GatewayRuntimeConfig = Pick<
  ModelGatewayConfig,
  | 'redisUrl'
  | 'kafkaBrokers'
  | 'registryPath'
  | 'registryPollMs'
  | 'responseCacheTtlSeconds'
  | 'generateMaxDurationMs'
  | 'usageDedupeTtlSeconds'
  | 'metricsPort'
  | 'grpc'
>;

export interface GatewayRuntimeOptions {
  logger: Logger;
  dnsLookup?: DnsLookup;
}

export class GatewayRuntime {
  readonly metrics = new GatewayMetrics();
  readonly registry: ModelRegistryService;
  readonly redis: Redis;
  readonly producer: EventProducer;
  readonly pools: WorkerPoolService;
  readonly quota: TokenQuotaService;
  readonly cache: ResponseCacheService;
  readonly meter: UsageMeterService;
  readonly guard: StructuredOutputGuard;
  readonly generation: GenerationService;
  readonly catalog: ModelCatalogService;
  private readonly stops = new ShutdownSteps();

  constructor(
    private readonly config: GatewayRuntimeConfig,
    private readonly options: GatewayRuntimeOptions,
  ) {
    const { logger } = options;
    this.registry = new ModelRegistryService({
      path: config.registryPath,
      pollMs: config.registryPollMs,
      logger,
      validate: (next) => chatTemplateMismatches(next, (model) => this.pools.reports(model)),
    });
    // Commands issued in the same tick (quota, cache, markers of concurrent requests) share one write.
    this.redis = createRedisClient(config.redisUrl, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
    this.producer = new EventProducer({
      kafka: createKafkaClient({ clientId: 'model-gateway', brokers: [...config.kafkaBrokers], logger }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    });
    this.pools = new WorkerPoolService({
      registry: this.registry,
      logger,
      metrics: this.metrics,
      dnsLookup: options.dnsLookup,
    });
    this.quota = new TokenQuotaService(this.redis, this.metrics, logger);
    this.cache = new ResponseCacheService(this.redis, config.responseCacheTtlSeconds);
    this.meter = new UsageMeterService({
      redis: this.redis,
      producer: this.producer,
      logger,
      metrics: this.metrics,
      dedupeTtlSeconds: config.usageDedupeTtlSeconds,
    });
    this.guard = new StructuredOutputGuard(this.metrics);
    this.generation = new GenerationService({
      registry: this.registry,
      pools: this.pools,
      quota: this.quota,
      cache: this.cache,
      meter: this.meter,
      guard: this.guard,
      metrics: this.metrics,
      logger,
      maxDurationMs: config.generateMaxDurationMs,
    });
    this.catalog = new ModelCatalogService({
      registry: this.registry,
      pools: this.pools,
      quota: this.quota,
      meter: this.meter,
      logger,
    });
  }

  async start(): Promise<void> {
    try {
      await this.registry.start();
      this.stops.push(() => this.registry.stop());

      // While Redis is down, quota checks fail open (counted in the gateway metrics).
      await connectRedis(this.redis, {
        name: `Redis at ${redact(this.config.redisUrl)}`,
        timeoutMs: CONNECT_TIMEOUT_MS,
        logger: this.options.logger,
        stops: this.stops,
      });
      this.stops.push(() => this.quota.stop());

      await this.producer.connect();
      this.stops.push(() => this.producer.disconnect());

      await this.pools.start();
      this.stops.push(() => this.pools.stop());
      const mismatches = chatTemplateMismatches(this.registry.current(), (model) =>
        this.pools.reports(model),
      );
      if (mismatches.length > 0)
        throw new Error(`chat templates of ${this.config.registryPath}:\n  - ${mismatches.join('\n  - ')}`);

      this.meter.start();
      this.stops.push(() => this.meter.stop());

      if (this.config.metricsPort !== undefined) await this.serveMetrics(this.config.metricsPort);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops in reverse order; usage events still in flight are published first. */
  async stop(): Promise<void> {
    await this.stops.runAll(this.options.logger, 'gateway shutdown step failed');
  }

  private async serveMetrics(port: number): Promise<void> {
    // Same interface as the gRPC server: loopback in development, all interfaces in a pod.
    const server = await startMetricsServer([this.metrics.registry, sharedMetricsRegistry()], {
      host: this.config.grpc.host,
      port,
      beforeScrape: () => this.metrics.observeWorkers(this.pools.snapshot()),
    });
    this.stops.push(() => server.close());
    this.options.logger.info({ port: server.port }, 'metrics served at /metrics');
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
