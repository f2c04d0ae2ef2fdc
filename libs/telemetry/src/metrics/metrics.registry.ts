// Owns the process-wide Prometheus registry every service serves at /metrics: the shared edge
// libraries (gRPC server and client RED metrics, the BFF's HTTP metrics) register on it, and Node's
// default metrics (CPU, memory, event loop lag, GC) are collected into it once, all under the common
// `hearth_` prefix. Services with metrics of their own keep them on their own registry (two gateways
// in one test process never collide) and serve both side by side.
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefix of every metric Hearth defines (the worker's and gateway's older names excepted). */
export const METRIC_PREFIX = 'hearth_';

let shared: Registry | undefined;

/** The process's registry, with the default Node metrics collected into it on first use. */
export function sharedMetricsRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX });
  }
  return shared;
}
