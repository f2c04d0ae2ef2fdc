// Owns the Prometheus scrape endpoint every service shares: a bare node:http listener, apart from any
// public port, that answers GET /metrics with the text of its registries one after another. Port 0
// lets the OS pick one (tests, several workers on one host). The listener is unref'd: it never keeps
// a process alive that is otherwise shutting down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Registry } from 'prom-client';

import type { Logger } from '../logger.factory';
import { sharedMetricsRegistry } from './metrics.registry';

export interface MetricsHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Runs before each scrape (gauges that sample state on demand). */
  readonly beforeScrape?: () => void;
}

async function exposition(registries: readonly Registry[]): Promise<string> {
  const bodies = await Promise.all(registries.map((registry) => registry.metrics()));
  return bodies.filter((body) => body.length > 0).join('\n');
}

export async function startMetricsServer(
  registries: Registry | readonly Registry[],
  options: MetricsServerOptions,
): Promise<MetricsHttpServer> {
  const served = registries instanceof Registry ? [registries] : registries;
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    options.beforeScrape?.();
    exposition(served).then(
      (body) => response.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`METRICS_PORT ${options.port} is in use; set METRICS_PORT to a free port (0 picks one)`)
          : error,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A service's /metrics from its config: the shared registry (plus any of its own) on METRICS_PORT, or
 * nothing where METRICS_PORT is unset.
 */
export async function serveMetrics(
  options: { readonly host: string; readonly port: number | undefined; readonly logger: Logger },
  registries: readonly Registry[] = [sharedMetricsRegistry()],
): Promise<MetricsHttpServer | undefined> {
  if (options.port === undefined) return undefined;
  const server = await startMetricsServer(registries, { host: options.host, port: options.port });
  options.logger.info({ metricsPort: server.port }, 'metrics served at /metrics');
  return server;
}
