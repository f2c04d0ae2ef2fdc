// The BFF as it is deployed: its compiled main (dist/apps/experience/bff/src/main.js) as its own process,
// configured only through its environment. It serves /healthz and answers auth failures in OpenAI's
// envelope; a bad configuration stops it at start-up with every problem named.
import { spawnSync } from 'node:child_process';

import { appEntry, freePort, infraEnv, ServiceProcess } from '@hearth/testing';

describe('BFF process', () => {
  let sut: ServiceProcess;

  beforeAll(async () => {
    const infra = infraEnv();
    const port = await freePort();
    sut = await ServiceProcess.start({
      app: 'bff',
      port,
      env: {
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        DATABASE_URL: infra.databaseUrl,
        REDIS_URL: infra.redisUrl,
        ORCHESTRATOR_ADDRESS: `127.0.0.1:${await freePort()}`,
        MODEL_GATEWAY_ADDRESS: `127.0.0.1:${await freePort()}`,
      },
      readiness: { httpUrl: (p) => `http://127.0.0.1:${p}/healthz` },
    });
  });

  afterAll(async () => {
    await sut?.stop();
  });

  it('serves health and the OpenAI error envelope from main.ts', async () => {
    const health = await fetch(`http://127.0.0.1:${sut.port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const unauthorized = await fetch(`http://127.0.0.1:${sut.port}/v1/models`);
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ error: { code: 'missing_api_key', param: null } });
    expect(unauthorized.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('refuses to start with a bad configuration, naming every bad variable', () => {
    const result = spawnSync(process.execPath, [appEntry('bff')], {
      env: { PATH: process.env['PATH'], HTTP_PORT: 'eighty', REDIS_URL: 'http://nope' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    for (const key of ['HTTP_PORT', 'REDIS_URL', 'DATABASE_URL', 'ORCHESTRATOR_ADDRESS']) {
      expect(result.stderr).toContain(key);
    }
  });
});
