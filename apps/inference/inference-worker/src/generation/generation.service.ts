// Owns one Generate call end to end: model check, admission (refused while draining), mapping the
// request, streaming the engine's events as messages (paced by WORKER_STREAM_INTERVAL_MS, see
// delta.coalescer.ts), and the call's end. A client cancel (Nest unsubscribes when grpc-js reports
// 'cancelled') aborts the engine request, which frees its slot within one decode step. Failures
// before or after the first message end the stream with a status through the one error filter; the
// gateway decides what a partial output means.
import type { InferenceWorkerConfig } from '@hearth/config';
import { inferenceV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import { Inject, Injectable } from '@nestjs/common';
import { Observable, Subscriber } from 'rxjs';

import { INFERENCE_ENGINE, MODEL_IDENTITY, WORKER_CONFIG, WORKER_LOGGER } from '../app/worker.constants';
import type { ModelIdentity } from '../app/worker.constants';
import { UnknownModelError } from '../app/worker.errors';
import { DeadlineExceededError, InvalidRequestError } from '../engine/engine.errors';
import { GenerationHandle, GenerationRequest } from '../engine/generation.types';
import type { InferenceEngine } from '../engine/inference.engine';
import { Admission, WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';
import { WorkerMetricsService } from '../metrics/worker-metrics.service';
import { DeltaCoalescer } from './delta.coalescer';
import { toGenerationRequest } from './generate-request.mapper';
import { GenerateResponseWriter } from './generate-response.writer';
import { GenerationTrace } from './generation.trace';
import { ToolPlan } from './tool-choice.planner';

const SCHEMA_FIELD = 'response_format.json_schema';

@Injectable()
export class GenerationService {
  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(MODEL_IDENTITY) private readonly model: ModelIdentity,
    @Inject(WorkerLifecycleService) private readonly lifecycle: WorkerLifecycleService,
    @Inject(WorkerMetricsService) private readonly metrics: WorkerMetricsService,
    @Inject(WORKER_LOGGER) private readonly logger: Logger,
    @Inject(WORKER_CONFIG) private readonly config: Pick<InferenceWorkerConfig, 'streamIntervalMs'>,
  ) {}

  /** `callDeadline`: the gRPC call's deadline in epoch ms (Infinity or undefined when none). */
  generate(
    wire: inferenceV1.GenerateRequest,
    callDeadline?: number,
  ): Observable<inferenceV1.GenerateResponse> {
    return new Observable<inferenceV1.GenerateResponse>((subscriber) => {
      let admission: Admission;
      try {
        if (wire.modelId !== '' && wire.modelId !== this.model.id)
          throw new UnknownModelError(wire.modelId, this.model.id);
        admission = this.lifecycle.admit();
      } catch (error) {
        this.metrics.countRequest(error instanceof Error ? error.name : 'error');
        subscriber.error(error);
        return undefined;
      }
      const cancelled = new AbortController();
      this.run(wire, callDeadline, cancelled.signal, admission.signal, subscriber).then(
        () => subscriber.complete(),
        (error: unknown) => subscriber.error(error),
      );
      // Runs once Nest has handed the last message to grpc-js (or the caller went away), so a drain
      // never closes the server under a stream that is still being written.
      return () => {
        cancelled.abort();
        admission.release();
      };
    });
  }

  private async run(
    wire: inferenceV1.GenerateRequest,
    callDeadline: number | undefined,
    cancelled: AbortSignal,
    drainCut: AbortSignal,
    out: Subscriber<inferenceV1.GenerateResponse>,
  ): Promise<void> {
    const receivedAt = performance.now();
    const traced = new GenerationTrace(this.model.id, wire.requestId);
    let outcome = 'error';
    let failure: unknown;
    let deltas: DeltaCoalescer | undefined;
    try {
      const signal = AbortSignal.any([cancelled, drainCut]);
      const functionCallSyntax = this.engine.functionCallSyntax(wire.chatTemplate || undefined);
      const { request, toolPlan } = toGenerationRequest(wire, { callDeadline, signal, functionCallSyntax });
      const handle = await this.start(request, toolPlan);
      const writer = new GenerateResponseWriter(toolPlan, receivedAt, functionCallSyntax);
      deltas = new DeltaCoalescer(this.config.streamIntervalMs, (message) => out.next(message));
      let lastDeltaAt: number | undefined;
      for await (const event of handle) {
        if (event.type === 'started') {
          writer.started(event);
          traced.started(event.slot, event.promptTokens, event.cachedPromptTokens, event.queuedMs);
          this.metrics.observeQueueWait(event.queuedMs / 1000);
        } else if (event.type === 'delta') {
          traced.firstToken();
          const now = performance.now();
          const tokens = Math.max(1, event.tokenIds?.length ?? 1);
          if (lastDeltaAt === undefined) this.metrics.observeTimeToFirstToken((now - receivedAt) / 1000);
          else this.metrics.observeInterTokenGap((now - lastDeltaAt) / 1000 / tokens, tokens);
          lastDeltaAt = now;
          const message = writer.delta(event, now);
          if (message) deltas.push(message, now);
          // tool_choice auto: text after the calls (or a second call with parallel calls off) is not
          // part of the answer; the caller runs the calls.
          if (writer.answerEnded) handle.cancel();
        } else if (event.type === 'done') {
          outcome = event.finishReason;
          traced.done(event.finishReason, event.usage);
          // Cancelled by the caller: nobody is listening any more.
          if (event.finishReason === 'cancelled' && cancelled.aborted && !drainCut.aborted) {
            deltas.discard();
            return;
          }
          // What was generated reaches the caller before the end, whatever the end is.
          deltas.flush();
          // Cancelled by a drain that ran out of time: the caller learns why (UNAVAILABLE).
          if (event.finishReason === 'cancelled' && drainCut.aborted) throw drainCut.reason;
          out.next(writer.final(event));
          if (event.finishReason === 'deadline') throw new DeadlineExceededError('running');
          this.logger.debug(
            { requestId: request.requestId, finishReason: event.finishReason, usage: event.usage },
            'generation finished',
          );
        }
      }
    } catch (error) {
      if (outcome === 'error' || outcome === 'deadline' || outcome === 'cancelled')
        outcome = error instanceof Error ? error.name : 'error';
      failure = error;
      throw error;
    } finally {
      // A stream that failed sends nothing more (what waited was never the caller's).
      deltas?.discard();
      traced.end(failure);
      this.metrics.countRequest(outcome);
    }
  }

  /** Engine errors about the output schema name the tool the schema came from. */
  private async start(request: GenerationRequest, toolPlan: ToolPlan): Promise<GenerationHandle> {
    try {
      return await this.engine.generate(request);
    } catch (error) {
      if (!(error instanceof InvalidRequestError) || toolPlan.kind === 'text' || toolPlan.kind === 'auto')
        throw error;
      const field = toolPlan.kind === 'forced' ? `tools[${toolPlan.tool.index}].parameters` : 'tools';
      throw new InvalidRequestError(
        error.problems.map((p) => (p.field.startsWith(SCHEMA_FIELD) ? { ...p, field } : p)),
      );
    }
  }
}
