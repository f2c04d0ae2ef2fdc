import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import { Registry } from 'prom-client';

import { HttpMetrics, httpMetricsMiddleware, UNMATCHED_ROUTE } from './http-metrics.middleware';

describe(httpMetricsMiddleware.name, () => {
  let registry: Registry;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    registry = new Registry();
    const app = express();
    app.use(httpMetricsMiddleware(new HttpMetrics(registry)));
    app.get('/v1/conversations/:id', (_req, res) => void res.json({ ok: true }));
    app.get('/v1/boom', (_req, res) => void res.status(500).json({ error: 'boom' }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const counted = async () =>
    (await registry.getSingleMetric('hearth_http_server_requests_total')!.get()).values.map((v) => ({
      ...v.labels,
      value: v.value,
    }));

  it('labels requests by route template and status, an error and an unknown path too', async () => {
    await fetch(`${base}/v1/conversations/conv_1234`);
    await fetch(`${base}/v1/conversations/conv_5678`);
    await fetch(`${base}/v1/boom`);
    await fetch(`${base}/ten_42/secret`);
    // The response's close event, where a request is counted, can trail the client's read by a tick.
    while ((await counted()).reduce((sum, c) => sum + c.value, 0) < 4) await new Promise(setImmediate);

    expect(await counted()).toEqual(
      expect.arrayContaining([
        { route: '/v1/conversations/:id', method: 'GET', status: '200', value: 2 },
        { route: '/v1/boom', method: 'GET', status: '500', value: 1 },
        { route: UNMATCHED_ROUTE, method: 'GET', status: '404', value: 1 },
      ]),
    );
    expect(JSON.stringify(await counted())).not.toMatch(/conv_1234|ten_42/);
  });
});
