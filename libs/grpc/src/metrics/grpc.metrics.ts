// Owns the RED metrics (rate, errors, duration) of every rpc this process serves or calls: counters by
// service, method and status code name, and duration histograms, on the shared registry that each
// service's /metrics serves. The server interceptor and the client factory record into them, so every
// service gets them without code of its own; a test passes a GrpcMetrics on a registry of its own.
import { METRIC_PREFIX, sharedMetricsRegistry } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Unary calls take milliseconds; a streamed generation can take minutes. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** `/hearth.context.v1.ContextService/Assemble` as its service and method labels. */
export function rpcLabelsOf(path: string): { service: string; method: string } {
  const [, service = 'unknown', method = 'unknown'] = path.split('/');
  return { service, method };
}

/** The status code's name (`OK`, `NOT_FOUND` ...), as dashboards read it. */
export function codeLabelOf(code: status): string {
  return status[code] ?? String(code);
}

export class GrpcMetrics {
  readonly serverRequests: Counter<'service' | 'method' | 'code'>;
  readonly serverDuration: Histogram<'service' | 'method' | 'code'>;
  readonly clientRequests: Counter<'upstream' | 'service' | 'method' | 'code'>;
  readonly clientDuration: Histogram<'upstream' | 'service' | 'method' | 'code'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.serverRequests = new Counter({
      name: `${METRIC_PREFIX}grpc_server_requests_total`,
      help: 'Rpcs this service handled, by service, method and the status code it ended with.',
      labelNames: ['service', 'method', 'code'] as const,
      registers,
    });
    this.serverDuration = new Histogram({
      name: `${METRIC_PREFIX}grpc_server_duration_seconds`,
      help: 'Time from an rpc arriving to its status (a stream: to its end), by service, method and code.',
      labelNames: ['service', 'method', 'code'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.clientRequests = new Counter({
      name: `${METRIC_PREFIX}grpc_client_requests_total`,
      help: 'Rpcs this service made, by upstream, service, method and the status code they ended with.',
      labelNames: ['upstream', 'service', 'method', 'code'] as const,
      registers,
    });
    this.clientDuration = new Histogram({
      name: `${METRIC_PREFIX}grpc_client_duration_seconds`,
      help: 'Time from starting an rpc to its status (a stream: to its end), by upstream, service, method and code.',
      labelNames: ['upstream', 'service', 'method', 'code'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  observeServer(path: string, code: status, seconds: number): void {
    const labels = { ...rpcLabelsOf(path), code: codeLabelOf(code) };
    this.serverRequests.inc(labels);
    this.serverDuration.observe(labels, seconds);
  }

  observeClient(upstream: string, path: string, code: status, seconds: number): void {
    const labels = { upstream, ...rpcLabelsOf(path), code: codeLabelOf(code) };
    this.clientRequests.inc(labels);
    this.clientDuration.observe(labels, seconds);
  }
}

let shared: GrpcMetrics | undefined;

/** The process's gRPC metrics, on the shared registry. */
export function sharedGrpcMetrics(): GrpcMetrics {
  return (shared ??= new GrpcMetrics(sharedMetricsRegistry()));
}
