import { sharedMetricsRegistry } from '@hearth/telemetry';

import { observeTurnPhases } from './turn-phase.metrics';

describe(observeTurnPhases.name, () => {
  it('observes each step of a turn and its total, in seconds, by phase', async () => {
    observeTurnPhases({ context: 12, generation: 840 }, 900);

    const metric = await sharedMetricsRegistry().getSingleMetric('hearth_turn_phase_duration_seconds')?.get();
    const sum = (phase: string) =>
      (
        metric?.values as { metricName?: string; labels: { phase?: string }; value: number }[] | undefined
      )?.find((v) => v.metricName?.endsWith('_sum') && v.labels.phase === phase)?.value;
    expect(sum('context')).toBeCloseTo(0.012);
    expect(sum('generation')).toBeCloseTo(0.84);
    expect(sum('total')).toBeCloseTo(0.9);
    expect(sum('tools')).toBeUndefined();
  });
});
