// Owns one generation attempt on one worker: opening the stream with the request's deadline, the
// first-token timeout, forwarding messages once output exists (the commit point, after which the
// request can no longer be retried), holding the finish message until the stream's status is known,
// and collecting what metering, the cache and the output check need.
import { commonV1, durationFromMs, durationToMs, gatewayV1, inferenceV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import type { CachedChunk } from '../cache/response-cache.service';
import type { RegisteredModel } from '../registry/model-registry';
import { toWorkerCallError, WorkerCallError } from '../workers/worker-failure.classifier';
import type { WorkerHandle } from '../workers/worker.handle';

export interface AttemptOptions {
  model: RegisteredModel;
  worker: WorkerHandle;
  request: inferenceV1.GenerateRequest;
  fallback: boolean;
  deadline: number;
  firstTokenTimeoutMs: number;
  /** Gateway time spent before this attempt (routing, failed attempts), added to the worker's timings. */
  gatewayMs: number;
  collectChunks: boolean;
  collectText: boolean;
  emit: (message: gatewayV1.GenerateResponse) => void;
  onCommit: () => void;
}

export interface AttemptResult {
  finishReason: commonV1.FinishReason;
  usage?: commonV1.Usage | null;
  /** The prompt's usage from the worker's first message: what a stream cut before its end is billed for. */
  promptUsage?: commonV1.Usage | null;
  text: string;
  chunks: CachedChunk[];
  /** Tokens forwarded to the caller (the count that stands when the worker reported no usage). */
  outputTokens: number;
  workerId: string;
  /** The worker's last message with served_by and gateway timings; set on success, emitted by the caller. */
  finishMessage?: gatewayV1.GenerateResponse;
}

/** The stream as it stands when the attempt failed; `committed` means output already reached the caller. */
export class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';

  constructor(
    readonly error: WorkerCallError,
    readonly committed: boolean,
    readonly partial: AttemptResult,
    readonly finishMessage?: gatewayV1.GenerateResponse,
  ) {
    super(error.message);
  }

  /** Read by the worker's circuit breaker. */
  get fault(): boolean {
    return this.error.fault;
  }
}

const carriesOutput = (message: inferenceV1.GenerateResponse) =>
  message.text !== '' || message.tokenIds.length > 0 || message.toolCallDeltas.length > 0;

export class WorkerStreamAttempt {
  private call?: ReturnType<WorkerHandle['client']['generate']>;
  private cancelledByCaller = false;

  constructor(private readonly options: AttemptOptions) {}

  /** Cancels the worker call (caller went away); the attempt then fails with CANCELLED. */
  cancel(): void {
    this.cancelledByCaller = true;
    this.call?.cancel();
  }

  run(): Promise<AttemptResult> {
    const { worker, model, emit } = this.options;
    const servedBy: commonV1.ServedBy = {
      modelId: model.id,
      modelSha256: model.sha256,
      workerId: worker.stats?.workerId ?? worker.address,
      fallback: this.options.fallback,
    };
    const result: AttemptResult = {
      finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
      text: '',
      chunks: [],
      outputTokens: 0,
      workerId: servedBy.workerId,
    };
    let committed = false;
    let finish: gatewayV1.GenerateResponse | undefined;
    let timedOut = false;

    const forward = (message: gatewayV1.GenerateResponse) => {
      if (!committed) {
        committed = true;
        clearTimeout(firstTokenTimer);
        this.options.onCommit();
        emit({ ...message, servedBy });
      } else emit(message);
    };

    const call = worker.client.generate(this.options.request, this.options.deadline);
    this.call = call;
    const firstTokenTimer = setTimeout(
      () => {
        timedOut = true;
        call.cancel();
      },
      Math.max(0, Math.min(this.options.firstTokenTimeoutMs, this.options.deadline - Date.now())),
    );

    return new Promise<AttemptResult>((resolve, reject) => {
      let settled = false;
      const fail = (cause: WorkerCallError) => {
        if (settled) return;
        settled = true;
        clearTimeout(firstTokenTimer);
        reject(new AttemptFailure(cause, committed, result, finish));
      };

      call.on('data', (message: inferenceV1.GenerateResponse) => {
        // After the first-token timeout cancelled the call, late messages must not commit it.
        if (settled || timedOut) return;
        if (message.usage && message.finishReason === commonV1.FinishReason.FINISH_REASON_UNSPECIFIED)
          result.promptUsage = message.usage;
        if (message.finishReason !== commonV1.FinishReason.FINISH_REASON_UNSPECIFIED) {
          // Held until the status arrives: a finish followed by an error status becomes one error finish.
          result.finishReason = message.finishReason;
          result.usage = message.usage;
          // Its output, if any, is forwarded below as a delta like any other.
          finish = {
            ...message,
            text: '',
            tokenIds: [],
            toolCallDeltas: [],
            cached: false,
            timings: this.withGatewayTime(message.timings),
          };
        }
        if (!carriesOutput(message)) return;
        result.outputTokens += message.tokenIds.length;
        if (this.options.collectText) result.text += message.text;
        if (this.options.collectChunks) {
          result.chunks.push({
            text: message.text,
            tokenIds: message.tokenIds,
            toolCallDeltas: message.toolCallDeltas,
          });
        }
        const delta: gatewayV1.GenerateResponse = {
          text: message.text,
          tokenIds: message.tokenIds,
          toolCallDeltas: message.toolCallDeltas,
          finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
          cached: false,
        };
        forward(delta);
      });

      call.on('error', (error) => {
        if (timedOut) {
          fail(
            new WorkerCallError(
              status.DEADLINE_EXCEEDED,
              `no first token from ${worker.address} in time`,
              false,
            ),
          );
        } else if (this.cancelledByCaller) {
          fail(new WorkerCallError(status.CANCELLED, 'cancelled by the caller', false));
        } else fail(toWorkerCallError(error));
      });

      call.on('end', () => {
        if (settled) return;
        if (!finish) {
          fail(
            new WorkerCallError(
              status.INTERNAL,
              `stream from ${worker.address} ended without a finish reason`,
              true,
            ),
          );
          return;
        }
        settled = true;
        clearTimeout(firstTokenTimer);
        // The finish message is emitted by the caller of run(), which adds output_valid first.
        if (!committed) {
          committed = true;
          this.options.onCommit();
          finish = { ...finish, servedBy };
        }
        result.finishMessage = finish;
        resolve(result);
      });
    });
  }

  private withGatewayTime(
    timings: commonV1.GenerationTimings | null | undefined,
  ): commonV1.GenerationTimings | null {
    if (!timings) return null;
    const add = (duration: commonV1.GenerationTimings['queue']) =>
      durationFromMs(durationToMs(duration) + this.options.gatewayMs);
    return {
      ...timings,
      queue: add(timings.queue),
      timeToFirstToken: add(timings.timeToFirstToken),
      total: add(timings.total),
    };
  }
}
