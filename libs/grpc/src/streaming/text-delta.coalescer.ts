// Owns joining text deltas on their way to the next hop of a stream. Deltas that arrive within one
// turn of the event loop (read together from a socket: a fast model, a busy process) leave as one
// message; a delta that arrives alone leaves on the next setImmediate, well under a millisecond
// later. Each message costs every hop after it a serialisation, a frame and a callback, so a stream
// read faster than it is written pays for fewer of them, and a quiet stream waits for nothing.

export class TextDeltaCoalescer {
  private pending = '';
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly write: (text: string) => void) {}

  push(text: string): void {
    if (text === '') return;
    this.pending += text;
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Writes what is pending now (before the stream's end, so no text is left behind). */
  flush(): void {
    this.cancelScheduled();
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.write(text);
  }

  /** Drops what is pending (the stream was cancelled). */
  discard(): void {
    this.cancelScheduled();
    this.pending = '';
  }

  private cancelScheduled(): void {
    if (this.scheduled === undefined) return;
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }
}
