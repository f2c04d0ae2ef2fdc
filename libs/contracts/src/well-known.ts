// Conversions for google.protobuf.Duration, which the generated types keep as `{ seconds, nanos }`
// (Timestamps are already `Date`s). Timings and timeouts are handled as milliseconds in code.
import type { Duration } from './gen/google/protobuf/duration';

export type { Duration };

/** Milliseconds (fractions allowed, >= 0 or < 0) to a Duration with seconds and nanos of the same sign. */
export function durationFromMs(ms: number): Duration {
  if (!Number.isFinite(ms)) throw new RangeError(`duration must be a finite number of ms, got ${ms}`);
  const seconds = Math.trunc(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return { seconds, nanos };
}

/** A Duration (or a missing one, as 0) to milliseconds. */
export function durationToMs(duration: Duration | null | undefined): number {
  if (duration == null) return 0;
  return duration.seconds * 1000 + duration.nanos / 1e6;
}
