// Owns the turn's phase durations as a Prometheus histogram on the process's shared registry
// (`hearth_turn_phase_duration_seconds{phase}`): the same milliseconds per step the stored turn trace
// keeps (persist, context, safety_in, first_token, generation, safety_out, tools, finalize) and the
// turn's total, so a dashboard shows where turns spend their time without reading traces.
import { METRIC_PREFIX, sharedMetricsRegistry } from '@hearth/telemetry';

import { Histogram } from 'prom-client';

import type { TurnStep } from './turn-trace.recorder';

let histogram: Histogram<'phase'> | undefined;

function phases(): Histogram<'phase'> {
  histogram ??= new Histogram({
    name: `${METRIC_PREFIX}turn_phase_duration_seconds`,
    help: 'Time a turn spent in each phase (summed over its rounds), and in total, by phase.',
    labelNames: ['phase'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [sharedMetricsRegistry()],
  });
  return histogram;
}

/** Records one finished turn: each step it went through, and `total`. */
export function observeTurnPhases(steps: Partial<Record<TurnStep, number>>, totalMs: number): void {
  const metric = phases();
  for (const [phase, ms] of Object.entries(steps)) metric.observe({ phase }, ms / 1000);
  metric.observe({ phase: 'total' }, totalMs / 1000);
}
