// Owns one model call of a turn: the gateway's Generate stream piped through the safety service's
// streaming output check. Text reaches the turn only as the safety service releases it; a `stop`
// cancels generation at once (finish content_filter). Tool-call fragments pass straight through.
// Cancelling the call cancels both streams, which reaches the gateway and then the worker, so the
// worker's slot frees at once. Deltas read together from the gateway go to the safety service as one.
import { commonV1, gatewayV1, safetyV1 } from '@hearth/contracts';
import { TextDeltaCoalescer, toGrpcError, type GrpcError } from '@hearth/grpc';

import { status, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';

import type { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import type { SafetyClient } from '../clients/upstream.clients';

const { FinishReason } = commonV1;

export interface ModelCallHooks {
  /** Text cleared by output safety, in order. */
  onText(text: string): void;
  onToolCallDelta(delta: commonV1.ToolCallDelta): void;
  onSafety(response: safetyV1.CheckOutputStreamResponse): void;
}

export interface ModelCallOptions {
  request: gatewayV1.GenerateRequest;
  deadline: number;
  /** Run output safety on the stream (off for held-back structured output, checked as a whole later). */
  outputCheck?: {
    caller: commonV1.Caller;
    requestId: string;
    canaries: string[];
    placeholders: safetyV1.PlaceholderValue[];
  };
  hooks: ModelCallHooks;
}

export interface ModelCallResult {
  /** Text released to the user (after safety). */
  text: string;
  toolCalls: commonV1.ToolCall[];
  finishReason: commonV1.FinishReason;
  usage?: commonV1.Usage;
  timings?: commonV1.GenerationTimings;
  servedBy?: commonV1.ServedBy;
  /** A failure: gateway status before the first token, partial error after, or a safety failure. */
  error?: commonV1.ErrorDetail;
  /** The safety stop, if output safety ended the call. */
  blocked?: { refusal: string };
  /** ms from the call until the first model output, and until the gateway stream ended. */
  firstTokenMs?: number;
  modelMs: number;
  /** ms spent after the gateway ended waiting for output safety to release the rest. */
  safetyTailMs: number;
}

export class ModelCall {
  private generation?: ClientReadableStream<gatewayV1.GenerateResponse>;
  private check?: ClientDuplexStream<safetyV1.CheckOutputStreamRequest, safetyV1.CheckOutputStreamResponse>;
  private readonly checkDeltas = new TextDeltaCoalescer((text) => this.check?.write({ delta: text }));
  private cancelled = false;

  constructor(
    private readonly gateway: ModelGatewayAdapter,
    private readonly safety: SafetyClient,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.checkDeltas.discard();
    this.generation?.cancel();
    this.check?.cancel();
  }

  run(options: ModelCallOptions): Promise<ModelCallResult> {
    const started = performance.now();
    const result: ModelCallResult = {
      text: '',
      toolCalls: [],
      finishReason: FinishReason.FINISH_REASON_UNSPECIFIED,
      modelMs: 0,
      safetyTailMs: 0,
    };
    const calls = new Map<number, commonV1.ToolCall>();
    let safetyDone: Promise<void> = Promise.resolve();
    let failSafety: ((error: commonV1.ErrorDetail) => void) | undefined;

    if (options.outputCheck) {
      const check = this.safety.checkOutputStream({ deadline: options.deadline });
      this.check = check;
      safetyDone = new Promise<void>((resolve) => {
        failSafety = (error) => {
          if (!result.error) result.error = error;
          resolve();
        };
        check.on('data', (response: safetyV1.CheckOutputStreamResponse) => {
          if (response.releasedText) {
            result.text += response.releasedText;
            options.hooks.onText(response.releasedText);
          }
          if (response.findings.length > 0 || response.stop) options.hooks.onSafety(response);
          if (response.stop && !result.blocked) {
            result.blocked = { refusal: response.refusalMessage };
            // Stop generating now: nothing more may reach the user.
            this.generation?.cancel();
          }
        });
        check.on('error', (error: ServiceError) => {
          if (result.blocked || this.cancelled) return resolve();
          failSafety?.({
            code: toGrpcError(error, this.safety.upstream).code,
            reason: 'SAFETY_UNAVAILABLE',
            message: 'the output safety check failed',
            partial: result.text !== '',
            retryable: true,
          });
        });
        check.on('end', () => resolve());
      });
      check.write({ start: options.outputCheck });
    }

    return new Promise<ModelCallResult>((resolve) => {
      const generation = this.gateway.generate(options.request, options.deadline);
      this.generation = generation;
      let ended = false;
      const end = (finish: () => void) => {
        if (ended) return;
        ended = true;
        finish();
        result.modelMs = performance.now() - started;
        const tailStart = performance.now();
        if (this.check && !result.blocked && !result.error && !this.cancelled) {
          this.checkDeltas.flush();
          this.check.write({ end: {} });
        } else {
          this.checkDeltas.discard();
          this.check?.end();
        }
        void safetyDone.then(() => {
          result.safetyTailMs = performance.now() - tailStart;
          result.toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
          if (result.blocked) result.finishReason = FinishReason.FINISH_REASON_CONTENT_FILTER;
          else if (this.cancelled) result.finishReason = FinishReason.FINISH_REASON_CANCELLED;
          else if (result.error) result.finishReason = FinishReason.FINISH_REASON_ERROR;
          resolve(result);
        });
      };

      generation.on('data', (message: gatewayV1.GenerateResponse) => {
        if (result.firstTokenMs === undefined && (message.text !== '' || message.toolCallDeltas.length > 0))
          result.firstTokenMs = performance.now() - started;
        if (message.servedBy) result.servedBy = message.servedBy;
        if (message.text !== '') {
          if (this.check) this.checkDeltas.push(message.text);
          else {
            result.text += message.text;
            options.hooks.onText(message.text);
          }
        }
        for (const delta of message.toolCallDeltas) {
          const call = calls.get(delta.index) ?? { id: '', name: '', argumentsJson: '' };
          if (delta.id) call.id = delta.id;
          if (delta.name) call.name = delta.name;
          call.argumentsJson += delta.argumentsFragment;
          calls.set(delta.index, call);
          options.hooks.onToolCallDelta(delta);
        }
        if (message.finishReason !== FinishReason.FINISH_REASON_UNSPECIFIED) {
          result.finishReason = message.finishReason;
          result.usage = message.usage ?? undefined;
          result.timings = message.timings ?? undefined;
          if (message.error) result.error = message.error;
        }
      });
      generation.on('error', (error: ServiceError) => {
        end(() => {
          if (this.cancelled || result.blocked) return;
          const failure = toGrpcError(error, this.gateway.upstream);
          result.error = {
            code: failure.code,
            // A budget refusal keeps the gateway's reason, so the client learns which limit it hit.
            reason: BUDGET_REASONS.has(failure.reason) ? failure.reason : reasonOf(failure.code),
            message: messageOf(failure),
            partial: result.text !== '' || calls.size > 0,
            retryable: [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED].includes(
              failure.code,
            ),
          };
        });
      });
      generation.on('end', () => end(() => undefined));
    });
  }
}

const BUDGET_REASONS = new Set(['BUDGET_EXCEEDED', 'REQUEST_EXCEEDS_BUDGET']);

function reasonOf(code: status | undefined): string {
  switch (code) {
    case status.RESOURCE_EXHAUSTED:
      return 'RESOURCE_EXHAUSTED';
    case status.DEADLINE_EXCEEDED:
      return 'DEADLINE_EXCEEDED';
    case status.NOT_FOUND:
      return 'MODEL_NOT_FOUND';
    case status.INVALID_ARGUMENT:
      return 'INVALID_ARGUMENT';
    default:
      return 'MODEL_UNAVAILABLE';
  }
}

/** Gateway statuses are written for callers (never internal details), so their text is passed on. */
function messageOf(error: GrpcError): string {
  return error.message || 'the model could not be reached';
}
