// Runs N concurrent streams against a target and summarises TTFT, inter-token latency and throughput.
import type { StreamRequest, StreamResult, StreamTarget } from './stream-target';

export interface LoadSummary {
  target: string;
  concurrency: number;
  streams: number;
  ttftP50: number;
  ttftP95: number;
  itlP50: number;
  itlP95: number;
  completionTokens: number;
  tokensPerSecond: number;
  occupancy?: number;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** `concurrency` workers each run `perWorker` requests back to back; throughput is over the whole wall time. */
export async function runLoad(
  target: StreamTarget,
  concurrency: number,
  perWorker: number,
  requestFor: (worker: number, i: number) => StreamRequest,
): Promise<LoadSummary> {
  await target.occupancy?.();
  const results: StreamResult[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < perWorker; i++) results.push(await target.stream(requestFor(worker, i)));
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const completionTokens = results.reduce((sum, r) => sum + r.completionTokens, 0);
  const itl = results.flatMap((r) => r.interTokenMs);
  return {
    target: target.name,
    concurrency,
    streams: results.length,
    ttftP50: percentile(
      results.map((r) => r.ttftMs),
      50,
    ),
    ttftP95: percentile(
      results.map((r) => r.ttftMs),
      95,
    ),
    itlP50: percentile(itl, 50),
    itlP95: percentile(itl, 95),
    completionTokens,
    tokensPerSecond: completionTokens / wallSeconds,
    occupancy: await target.occupancy?.(),
  };
}
