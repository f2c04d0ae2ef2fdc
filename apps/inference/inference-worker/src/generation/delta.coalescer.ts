// Owns the pace of a generation's delta messages (WORKER_STREAM_INTERVAL_MS). Every message costs each
// hop it crosses (worker, gateway, orchestrator, safety service, BFF) a gRPC write and read, so a
// token per message is most of what a long answer costs the platform. With an interval, the first
// two deltas go out at once and later ones at most one interval apart: deltas that arrive sooner are
// merged into one message (text and token ids concatenated, tool-call fragments of the same call
// joined), and a timer sends what waits once the interval is up, so no text is held longer than
// that. Two, because the output safety check releases a word once the next one has begun: the first
// word reaches the user with the second delta, so time to first token stays what it was. 0 sends
// every delta as it comes (one message per token).
import type { commonV1, inferenceV1 } from '@hearth/contracts';

/** Deltas sent as they come before the interval applies. */
const IMMEDIATE_DELTAS = 2;

export class DeltaCoalescer {
  private pending: inferenceV1.GenerateResponse | undefined;
  private sent = 0;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (message: inferenceV1.GenerateResponse) => void,
  ) {}

  /** Sends the delta now, or merges it into the message waiting for the interval to pass. */
  push(message: inferenceV1.GenerateResponse, now = performance.now()): void {
    if (this.intervalMs <= 0) return this.send(message);
    this.pending = this.pending ? merged(this.pending, message) : message;
    if (this.sent < IMMEDIATE_DELTAS || now - this.lastSentAt >= this.intervalMs) {
      this.flush(now);
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs - (now - this.lastSentAt));
  }

  /** Sends whatever waits (before the last message, or when the stream ends early). */
  flush(now = performance.now()): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const message = this.pending;
    this.pending = undefined;
    this.sent++;
    this.lastSentAt = now;
    this.send(message);
  }

  /** Drops whatever waits: nobody will read it (the caller cancelled). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

/** One delta message carrying both, in order. Only delta fields are merged; usage stays the first's. */
export function merged(
  first: inferenceV1.GenerateResponse,
  next: inferenceV1.GenerateResponse,
): inferenceV1.GenerateResponse {
  return {
    ...first,
    text: first.text + next.text,
    tokenIds: [...first.tokenIds, ...next.tokenIds],
    toolCallDeltas: mergedCallDeltas(first.toolCallDeltas, next.toolCallDeltas),
    usage: first.usage ?? next.usage,
  };
}

/** Fragments in order; a fragment continuing the previous one's call (same index, no id) joins it. */
function mergedCallDeltas(
  first: readonly commonV1.ToolCallDelta[],
  next: readonly commonV1.ToolCallDelta[],
): commonV1.ToolCallDelta[] {
  const deltas = first.map((delta) => ({ ...delta }));
  for (const delta of next) {
    const last = deltas[deltas.length - 1];
    if (last && last.index === delta.index && delta.id === '' && delta.name === '')
      last.argumentsFragment += delta.argumentsFragment;
    else deltas.push({ ...delta });
  }
  return deltas;
}
