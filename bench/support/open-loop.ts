// Owns the benches' open-loop load: requests leave at times fixed in advance, whatever the answers do,
// so a slow platform meets a growing queue instead of fewer clients. The arrivals are a Poisson process
// of the given rate conditioned on its count (rate × seconds times drawn uniformly over the window,
// sorted), from a seeded generator: every run, and every path measured at one rate, gets the same kind
// of arrivals.

export interface OpenLoopResult {
  /** What each successful request returned (its TTFT), in completion order. */
  values: number[];
  /** One message per failed request. */
  errors: string[];
  /** How late each request left against its scheduled time (ms): the load generator falling behind. */
  lagMs: number[];
  /** From the window's start to the last answer, or to the window's end when that is later (ms). */
  wallMs: number;
}

/** Arrival times (ms from the window's start) of a Poisson process of `rate` per second over `seconds`. */
export function poissonArrivals(rate: number, seconds: number, seed: number): number[] {
  const random = mulberry32(seed);
  const count = Math.round(rate * seconds);
  return Array.from({ length: count }, () => random() * seconds * 1000).sort((a, b) => a - b);
}

/** Sends request i at arrivalsMs[i] after the start, never waiting for an earlier answer. */
export async function openLoop(
  arrivalsMs: number[],
  windowMs: number,
  send: (i: number) => Promise<number>,
): Promise<OpenLoopResult> {
  const result: OpenLoopResult = { values: [], errors: [], lagMs: [], wallMs: 0 };
  const started = performance.now();
  let lastAnswer = started;
  const inFlight: Promise<void>[] = [];
  for (const [i, at] of arrivalsMs.entries()) {
    const wait = started + at - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
    result.lagMs.push(Math.max(0, performance.now() - started - at));
    inFlight.push(
      send(i)
        .then(
          (value) => void result.values.push(value),
          (error: unknown) => void result.errors.push(error instanceof Error ? error.message : String(error)),
        )
        .finally(() => (lastAnswer = performance.now())),
    );
  }
  await Promise.all(inFlight);
  result.wallMs = Math.max(windowMs, lastAnswer - started);
  return result;
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
