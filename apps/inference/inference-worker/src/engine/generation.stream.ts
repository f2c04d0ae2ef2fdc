// Owns the consumer side of one request: an async iterable of events fed by the scheduler (buffered,
// so a slow reader never stalls the shared decode loop), a result promise that settles whether or
// not anyone iterates, and cancel().
import { GenerationEvent, GenerationHandle, GenerationResult } from './generation.types';

export class GenerationStream implements GenerationHandle {
  private readonly buffer: GenerationEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private failure: Error | undefined;
  private text = '';
  private settleResult!: { resolve: (r: GenerationResult) => void; reject: (e: Error) => void };
  readonly result: Promise<GenerationResult>;

  constructor(
    readonly requestId: string,
    private readonly onCancel: () => void,
  ) {
    this.result = new Promise<GenerationResult>(
      (resolve, reject) => (this.settleResult = { resolve, reject }),
    );
    // The result is optional to observe; an unobserved rejection must not crash the worker.
    this.result.catch(() => undefined);
  }

  cancel(): void {
    if (!this.ended) this.onCancel();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Scheduler side: append an event; `done` ends the stream and settles the result. */
  push(event: GenerationEvent): void {
    if (this.ended) return;
    this.buffer.push(event);
    if (event.type === 'delta') this.text += event.text;
    if (event.type === 'done') {
      this.ended = true;
      const { finishReason, usage, timings, seed } = event;
      this.settleResult.resolve({
        requestId: this.requestId,
        text: this.text,
        finishReason,
        usage,
        timings,
        seed,
      });
    }
    this.wake();
  }

  /** Scheduler side: end the stream with an error (the iterator throws it after buffered events). */
  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.settleResult.reject(error);
    this.wake();
  }

  /** Leaving the loop early (break, a thrown consumer error) cancels the request. */
  async *[Symbol.asyncIterator](): AsyncIterator<GenerationEvent> {
    try {
      for (;;) {
        const event = this.buffer.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.cancel();
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
