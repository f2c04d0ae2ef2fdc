import { countFailOpen } from './fail-open.counter';
import { sharedMetricsRegistry } from './metrics.registry';

describe(countFailOpen.name, () => {
  it('counts per function on the shared registry', async () => {
    countFailOpen('bff_rate_limit');
    countFailOpen('bff_rate_limit');
    countFailOpen('context_hot_window_read');

    const metric = await sharedMetricsRegistry().getSingleMetric('hearth_store_fail_open_total')?.get();
    expect(metric?.values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { function: 'bff_rate_limit' }, value: 2 }),
        expect.objectContaining({ labels: { function: 'context_hot_window_read' }, value: 1 }),
      ]),
    );
  });
});
