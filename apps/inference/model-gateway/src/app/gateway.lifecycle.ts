// Owns the gateway's own background work, started once Redis and the Kafka producer are connected
// (their modules initialise first) and stopped in reverse before they close: the worker pools (one
// Stats round, then every chat model must have exactly one chat template: its GGUF's or the
// registry's, checked again on every registry reload), the usage spool drain and the metrics
// endpoint. The registry and the quota settlements stop last, so pending settlements still reach Redis.
import type { ModelGatewayConfig } from '@hearth/config';
import { sharedMetricsRegistry, ShutdownSteps, startMetricsServer, type Logger } from '@hearth/telemetry';

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { UsageMeterService } from '../metering/usage-meter.service';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { TokenQuotaService } from '../quota/token-quota.service';
import { chatTemplateMismatches } from '../registry/chat-template.audit';
import { ModelRegistryService } from '../registry/model-registry.service';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from './gateway.constants';

@Injectable()
export class GatewayLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly stops = new ShutdownSteps();

  constructor(
    @Inject(ModelRegistryService) private readonly registry: ModelRegistryService,
    @Inject(WorkerPoolService) private readonly pools: WorkerPoolService,
    @Inject(TokenQuotaService) quota: TokenQuotaService,
    @Inject(UsageMeterService) private readonly meter: UsageMeterService,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: ModelGatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {
    // Both exist from the moment the module is built (the registry already watches its file).
    registry.checkReloadsWith((next) => chatTemplateMismatches(next, (model) => pools.reports(model)));
    this.stops.push(() => registry.stop());
    this.stops.push(() => quota.stop());
  }

  async onModuleInit(): Promise<void> {
    await this.pools.start();
    this.stops.push(() => this.pools.stop());
    const mismatches = chatTemplateMismatches(this.registry.current(), (model) => this.pools.reports(model));
    if (mismatches.length > 0)
      throw new Error(`chat templates of ${this.config.registryPath}:\n  - ${mismatches.join('\n  - ')}`);

    this.meter.start();
    this.stops.push(() => this.meter.stop());

    if (this.config.metricsPort !== undefined) await this.serveMetrics(this.config.metricsPort);
  }

  /** Stops in reverse order; usage events still in flight are published first. */
  async onApplicationShutdown(): Promise<void> {
    await this.stops.runAll(this.logger, 'gateway shutdown step failed');
  }

  private async serveMetrics(port: number): Promise<void> {
    // Same interface as the gRPC server: loopback in development, all interfaces in a pod.
    const server = await startMetricsServer([this.metrics.registry, sharedMetricsRegistry()], {
      host: this.config.grpc.host,
      port,
      beforeScrape: () => this.metrics.observeWorkers(this.pools.snapshot()),
    });
    this.stops.push(() => server.close());
    this.logger.info({ port: server.port }, 'metrics served at /metrics');
  }
}
