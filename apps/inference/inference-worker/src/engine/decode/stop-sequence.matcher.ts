// Owns stop sequences over streamed text: a stop string never reaches the client, and text that
// could still turn into one (a suffix that is a prefix of some stop) is held back until the next
// delta decides it, so a stop split across tokens is caught as well.

export interface StopMatch {
  /** Text that is safe to emit now. */
  readonly emit: string;
  /** True when a stop sequence completed; nothing after it is emitted. */
  readonly stopped: boolean;
}

export class StopSequenceMatcher {
  private held = '';
  private readonly stops: readonly string[];
  private readonly longest: number;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
    this.longest = Math.max(0, ...this.stops.map((s) => s.length));
  }

  push(text: string): StopMatch {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const buffer = this.held + text;
    let first = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    if (first !== -1) {
      this.held = '';
      return { emit: buffer.slice(0, first), stopped: true };
    }
    const keep = this.partialSuffixLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The held-back tail, released when generation ends for another reason. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of a stop sequence. */
  private partialSuffixLength(buffer: string): number {
    for (let length = Math.min(buffer.length, this.longest - 1); length > 0; length--) {
      const suffix = buffer.slice(buffer.length - length);
      if (this.stops.some((stop) => stop.startsWith(suffix))) return length;
    }
    return 0;
  }
}
