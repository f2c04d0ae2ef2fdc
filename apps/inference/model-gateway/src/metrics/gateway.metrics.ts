// Owns the gateway's Prometheus metrics, on a registry of its own (not prom-client's global one) so
// two gateways in one process, as in tests, never collide.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { WorkerSnapshot } from '../workers/worker-pool.service';

const BREAKER_VALUES = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'gateway_generate_requests_total',
    help: 'Generate requests by served model and outcome (completed, failed, cancelled, cached, rejected).',
    labelNames: ['model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'gateway_worker_attempts_total',
    help: 'Generation attempts sent to workers, by worker address and result (ok, retried, partial, error).',
    labelNames: ['worker', 'result'] as const,
    registers: [this.registry],
  });

  readonly routeDecisions = new Counter({
    name: 'gateway_route_decisions_total',
    help: 'Cache-aware routing decisions: cache (to the longest prefix holder), overflow (it was too loaded), least_loaded (no holder).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: 'gateway_fallbacks_total',
    help: 'Requests served by a fallback model instead of the requested one.',
    labelNames: ['requested', 'served'] as const,
    registers: [this.registry],
  });

  readonly quotaRejections = new Counter({
    name: 'gateway_quota_rejections_total',
    help: 'Requests refused for a token quota, by scope (tenant, api_key) and window (minute, day).',
    labelNames: ['scope', 'window'] as const,
    registers: [this.registry],
  });

  readonly budgetRejections = new Counter({
    name: 'gateway_budget_rejections_total',
    help: 'Requests refused for a budget in money, by scope (tenant, api_key, user) and period (daily, monthly).',
    labelNames: ['scope', 'period'] as const,
    registers: [this.registry],
  });

  readonly budgetStoreUnavailable = new Counter({
    name: 'gateway_budget_store_unavailable_total',
    help: 'Requests whose budgets Redis could not check, by decision (open: admitted, closed: refused).',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });

  readonly quotaUnavailable = new Counter({
    name: 'gateway_quota_store_unavailable_total',
    help: 'Requests admitted without a quota check because Redis did not answer (fail open).',
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'gateway_response_cache_lookups_total',
    help: 'Exact-match response cache lookups by result (hit, miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly structuredOutputFailures = new Counter({
    name: 'gateway_structured_output_validation_failures_total',
    help: 'Completed generations whose output did not validate against the requested JSON schema, by model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly usagePublishFailures = new Counter({
    name: 'gateway_usage_publish_failures_total',
    help: 'Usage events Kafka did not take at once: spooled for a retry, or refused by a full or unreachable spool.',
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'gateway_worker_breaker_transitions_total',
    help: 'Worker circuit breaker state changes, by new state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'gateway_worker_breaker_state',
    help: 'Circuit breaker state per worker: 0 closed, 1 half-open, 2 open, 3 isolated.',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'gateway_time_to_first_token_seconds',
    help: 'From request arrival at the gateway to the first streamed token, by served model.',
    labelNames: ['model'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  observeWorkers(workers: readonly WorkerSnapshot[]): void {
    this.breakerState.reset();
    for (const worker of workers)
      this.breakerState.set({ worker: worker.address }, BREAKER_VALUES[worker.breaker]);
  }
}
