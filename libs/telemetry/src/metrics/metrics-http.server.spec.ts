import { Counter, Registry } from 'prom-client';

import { startMetricsServer, type MetricsHttpServer } from './metrics-http.server';

describe(startMetricsServer.name, () => {
  let sut: MetricsHttpServer;
  let sampled = 0;

  beforeAll(async () => {
    const own = new Registry();
    const shared = new Registry();
    new Counter({ name: 'own_total', help: 'a service metric', registers: [own] }).inc();
    new Counter({ name: 'hearth_shared_total', help: 'an edge metric', registers: [shared] }).inc(2);
    sut = await startMetricsServer([own, shared], {
      host: '127.0.0.1',
      port: 0,
      beforeScrape: () => sampled++,
    });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('serves every registry at GET /metrics, sampling on-demand gauges first', async () => {
    const response = await fetch(`http://127.0.0.1:${sut.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain('own_total 1');
    expect(body).toContain('hearth_shared_total 2');
    expect(sampled).toBe(1);
  });

  it('answers 404 elsewhere and for other methods', async () => {
    expect((await fetch(`http://127.0.0.1:${sut.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${sut.port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('names METRICS_PORT when the port is taken', async () => {
    await expect(startMetricsServer(new Registry(), { host: '127.0.0.1', port: sut.port })).rejects.toThrow(
      `METRICS_PORT ${sut.port} is in use`,
    );
  });
});
