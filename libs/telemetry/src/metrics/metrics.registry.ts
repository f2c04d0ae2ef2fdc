// Owns the process-wide Prometheus registry every service serves at /metrics: the shared edge
// libraries (gRPC server and client RED metrics, the BFF's HTTP metrics) register on it, and Node's
// default metrics (CPU, memory, event loop lag, GC) are collected into it once, all under the common
// `hearth_` prefix. Services with metrics of their own keep them on their own registry (two gateways
// in one test process never collide) and serve both side by side.
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefix of every metric Hearth defines (the worker's and gateway's older names excepted). */
export const METRIC_PREFIX = 'hearth_';

/**
 * Resolution of the event loop delay histogram (prom-client's default is 10 ms). Its timer wakes the
 * loop at this pace for the life of the process: 100 times a second cost an idle service 0.5 % of a
 * core by itself, 10 times a second 0.1 %. A stall still shows at full length (it delays the next
 * tick by as much); what the coarser pace loses is the stalls shorter than the gap between ticks, and
 * those are seen in proportion to their length, so the percentiles keep their meaning.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

let shared: Registry | undefined;

/** The process's registry, with the default Node metrics collected into it on first use. */
export function sharedMetricsRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({
      register: shared,
      prefix: METRIC_PREFIX,
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS,
    });
  }
  return shared;
}
