// Owns counting the times a function went on without a store it normally uses (Redis away: a rate
// limit not checked, a cache skipped, a turn registered without its cross-process lease), on the
// process's shared registry, so an operator sees a degraded platform on a dashboard, not only in logs.
// The documented choice per function is in the README's "Failure modes".
import { Counter } from 'prom-client';

import { METRIC_PREFIX, sharedMetricsRegistry } from './metrics.registry';

let counter: Counter<'function'> | undefined;

/** Counts one fail-open of `fn` (a stable name, e.g. `bff_rate_limit`, `context_hot_window_read`). */
export function countFailOpen(fn: string): void {
  counter ??= new Counter({
    name: `${METRIC_PREFIX}store_fail_open_total`,
    help: 'Operations that went on without a store they normally use (Redis unreachable), by function.',
    labelNames: ['function'] as const,
    registers: [sharedMetricsRegistry()],
  });
  counter.inc({ function: fn });
}
