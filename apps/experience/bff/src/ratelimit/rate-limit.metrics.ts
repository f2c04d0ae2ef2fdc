// Owns the rate limiter's metric: requests refused with 429, by the bucket that ran short (`requests`
// per minute or `tokens` per minute), so throttled tenants show up before they complain.
import { METRIC_PREFIX, sharedMetricsRegistry } from '@hearth/telemetry';

import { Counter } from 'prom-client';

let shared: Counter<'limit'> | undefined;

/** `hearth_rate_limit_rejections_total{limit}` on the process's shared registry. */
export function rateLimitRejections(): Counter<'limit'> {
  return (shared ??= new Counter({
    name: `${METRIC_PREFIX}rate_limit_rejections_total`,
    help: 'Requests the BFF refused with 429, by the bucket that ran short (requests or tokens per minute).',
    labelNames: ['limit'] as const,
    registers: [sharedMetricsRegistry()],
  }));
}
