// Owns the BFF's per-route RED metrics: every request is counted and timed when its response ends (a
// stream: when it closes), labelled by the route template Express matched (`/v1/conversations/:id`),
// never the raw URL, so no tenant, conversation or message id reaches a label. Requests no route
// matched (404s, the web app's files) share one `unmatched` route.
import { METRIC_PREFIX, sharedMetricsRegistry } from '@hearth/telemetry';

import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The route label of requests that matched no API route. */
export const UNMATCHED_ROUTE = 'unmatched';

export class HttpMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method' | 'status'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: `${METRIC_PREFIX}http_server_requests_total`,
      help: 'HTTP requests the BFF answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}http_server_duration_seconds`,
      help: 'From a request arriving to its response ending (a stream: closing), by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    });
  }
}

/** The template of the route that served `req`, or UNMATCHED_ROUTE. */
export function routeTemplateOf(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route?.path === undefined) return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${String(route.path)}`;
}

export function httpMetricsMiddleware(metrics: HttpMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('close', () => {
      const labels = { route: routeTemplateOf(req), method: req.method, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

let shared: HttpMetrics | undefined;

/** The BFF's HTTP metrics on the process's shared registry. */
export function sharedHttpMetrics(): HttpMetrics {
  return (shared ??= new HttpMetrics(sharedMetricsRegistry()));
}
