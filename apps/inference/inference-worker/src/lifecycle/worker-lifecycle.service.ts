// Owns the worker's serving state: health SERVING once the app is up (the model is loaded before Nest
// starts), and the drain on shutdown: stop admitting (UNAVAILABLE, health NOT_SERVING) so the gateway
// routes elsewhere, let running generations finish up to the drain timeout, cancel what is left with
// UNAVAILABLE, then free the model after the gRPC server has closed.
import type { InferenceWorkerConfig } from '@hearth/config';
import { GrpcHealthService, healthV1, OVERALL_HEALTH } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';

import {
  INFERENCE_ENGINE,
  INFERENCE_SERVICE_HEALTH_NAME,
  WORKER_CONFIG,
  WORKER_LOGGER,
} from '../app/worker.constants';
import { WorkerDrainingError } from '../app/worker.errors';
import type { InferenceEngine } from '../engine/inference.engine';

const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

/** One admitted call: its signal aborts when a drain runs out of time. */
export interface Admission {
  readonly signal: AbortSignal;
  release(): void;
}

@Injectable()
export class WorkerLifecycleService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private drainingSince: number | undefined;
  private readonly inFlight = new Set<AbortController>();
  private onIdle: (() => void) | undefined;

  constructor(
    @Inject(GrpcHealthService) private readonly health: GrpcHealthService,
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(WORKER_CONFIG) private readonly config: InferenceWorkerConfig,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  onApplicationBootstrap(): void {
    this.setHealth(SERVING);
  }

  /** Admits a call, or throws WorkerDrainingError. Release it when the call ends, however it ends. */
  admit(): Admission {
    if (this.draining) throw new WorkerDrainingError();
    const controller = new AbortController();
    this.inFlight.add(controller);
    let released = false;
    return {
      signal: controller.signal,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.delete(controller);
        if (this.inFlight.size === 0) this.onIdle?.();
      },
    };
  }

  /** Stops admitting and waits for running calls (cancelling them after `timeoutMs`). */
  async drain(timeoutMs = this.config.runtime.drainTimeoutMs): Promise<void> {
    if (!this.draining) {
      this.drainingSince = Date.now();
      this.setHealth(NOT_SERVING);
      this.logger.info({ inFlight: this.inFlight.size, timeoutMs }, 'draining');
    }
    if (await this.idleWithin(timeoutMs)) return;
    this.logger.warn({ inFlight: this.inFlight.size }, 'drain timed out; cancelling running generations');
    for (const controller of this.inFlight)
      controller.abort(
        new WorkerDrainingError('the inference worker shut down before the generation finished'),
      );
    // A cancelled generation frees its slot within one decode step.
    await this.idleWithin(5_000);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await this.drain();
    this.logger.info({ signal, drainMs: Date.now() - (this.drainingSince ?? Date.now()) }, 'drained');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }

  private setHealth(status: healthV1.HealthCheckResponse_ServingStatus): void {
    this.health.setStatus(OVERALL_HEALTH, status);
    this.health.setStatus(INFERENCE_SERVICE_HEALTH_NAME, status);
  }

  private idleWithin(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onIdle = undefined;
        resolve(false);
      }, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        this.onIdle = undefined;
        resolve(true);
      };
    });
  }
}
