// Owns what one generation records in the trace, by the GenAI semantic conventions: a `chat {model}`
// span over the call (gen_ai.request.model, gen_ai.usage.input_tokens / output_tokens, the prompt tokens
// served from a slot's KV cache, the finish reason) with three child spans laid on the engine's own
// clock: queue wait (admission to a slot), prefill (slot to first token) and decode (first token to end).
import { TRACER_NAME } from '@hearth/telemetry';

import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

import type { FinishReason, Usage } from '../engine/generation.types';

export class GenerationTrace {
  private readonly span: Span;
  private readonly startedAt = Date.now();
  private slotAt?: number;
  private firstTokenAt?: number;

  constructor(
    private readonly model: string,
    requestId: string,
  ) {
    this.span = trace.getTracer(TRACER_NAME).startSpan(`chat ${model}`, {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'llama.cpp',
        'gen_ai.request.model': model,
        'hearth.request_id': requestId,
      },
    });
  }

  /** A slot took the request after `queuedMs` in the admission queue. */
  started(slot: number, promptTokens: number, cachedPromptTokens: number, queuedMs: number): void {
    this.slotAt = Date.now();
    this.child('gen_ai.queue_wait', this.slotAt - queuedMs, this.slotAt, { 'hearth.slot': slot });
    this.span.setAttributes({
      'hearth.slot': slot,
      'gen_ai.usage.input_tokens': promptTokens,
      'gen_ai.usage.cached_input_tokens': cachedPromptTokens,
    });
  }

  firstToken(): void {
    if (this.firstTokenAt !== undefined) return;
    this.firstTokenAt = Date.now();
    this.child('gen_ai.prefill', this.slotAt ?? this.startedAt, this.firstTokenAt);
  }

  done(finishReason: FinishReason, usage: Usage): void {
    const end = Date.now();
    if (this.firstTokenAt !== undefined)
      this.child('gen_ai.decode', this.firstTokenAt, end, {
        'gen_ai.usage.output_tokens': usage.completionTokens,
      });
    this.span.setAttributes({
      'gen_ai.response.model': this.model,
      'gen_ai.response.finish_reasons': [finishReason],
      'gen_ai.usage.input_tokens': usage.promptTokens,
      'gen_ai.usage.cached_input_tokens': usage.cachedPromptTokens,
      'gen_ai.usage.output_tokens': usage.completionTokens,
    });
  }

  end(error?: unknown): void {
    if (error !== undefined) {
      this.span.recordException(error instanceof Error ? error : String(error));
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.name : 'error',
      });
    }
    this.span.end();
  }

  private child(name: string, startMs: number, endMs: number, attributes: Record<string, number> = {}): void {
    const parent = trace.setSpan(context.active(), this.span);
    trace.getTracer(TRACER_NAME).startSpan(name, { startTime: startMs, attributes }, parent).end(endMs);
  }
}
