// http_fetch against loopback servers: allowlisted hosts only, redirects followed hop by hop and each
// hop checked, private and link-local addresses refused after resolution, and loopback itself
// refused unless the runner is explicitly configured for local test servers.
import { randomUUID } from 'node:crypto';

import { toolsV1 } from '@hearth/contracts';

import { startLoopbackServer, type LoopbackServer } from './support/loopback-http.server';
import { startToolRunner, type ToolRunnerFixture } from './support/tool-runner.fixture';

const S = toolsV1.ToolCallStatus;

describe('ToolRunnerService http_fetch', () => {
  const tenant = randomUUID();
  const policy = { version: 1, tenants: { default: { allow: ['http_fetch'] } } };
  let server: LoopbackServer;
  let sut: ToolRunnerFixture;
  let strict: ToolRunnerFixture;

  const fetchWith = (fixture: ToolRunnerFixture, url: string) =>
    fixture.execute({
      caller: { tenantId: tenant },
      name: 'http_fetch',
      argumentsJson: JSON.stringify({ url }),
    });

  beforeAll(async () => {
    server = await startLoopbackServer();
    server.route(
      '/hello',
      (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
    );
    server.route(
      '/big',
      (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(5_000)),
    );
    server.route('/hop', (_req, res) => void res.writeHead(302, { location: '/hello' }).end());
    server.route(
      '/to-other-host',
      (_req, res) => void res.writeHead(302, { location: `http://localhost:${server.port}/hello` }).end(),
    );
    server.route(
      '/to-metadata',
      (_req, res) => void res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    server.route('/loop', (_req, res) => void res.writeHead(302, { location: '/loop' }).end());
    const allowed = '127.0.0.1,169.254.169.254,10.0.0.1,localhost.test';
    sut = await startToolRunner(policy, {
      HTTP_FETCH_ALLOWED_HOSTS: allowed,
      HTTP_FETCH_ALLOW_LOOPBACK: 'true',
      HTTP_FETCH_MAX_BYTES: '1000',
    });
    // The default configuration: loopback is refused like every other non-public range.
    strict = await startToolRunner(policy, { HTTP_FETCH_ALLOWED_HOSTS: `${allowed},localhost` });
    await sut.createTenant(tenant);
    await strict.createTenant(tenant);
  });

  afterAll(async () => {
    await sut?.close();
    await strict?.close();
    await server?.close();
  });

  it('fetches an allowlisted URL, following redirects on allowed hosts', async () => {
    const execution = await fetchWith(sut, server.url('/hop'));
    expect(execution.status).toBe(S.TOOL_CALL_STATUS_SUCCEEDED);
    expect(JSON.parse(execution.resultJson)).toMatchObject({
      status: 200,
      body: 'hello',
      finalUrl: server.url('/hello'),
      redirects: 1,
      truncated: false,
    });
  });

  it('truncates a body over the byte cap', async () => {
    const result = JSON.parse((await fetchWith(sut, server.url('/big'))).resultJson);
    expect(result).toMatchObject({ truncated: true });
    expect(result.body).toHaveLength(1_000);
  });

  it('refuses a host that is not on the allowlist without connecting', async () => {
    const before = server.hits.length;
    const execution = await fetchWith(sut, `http://localhost:${server.port}/hello`);
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'HOST_NOT_ALLOWED' },
    });
    expect(server.hits.length).toBe(before);
  });

  it('refuses a redirect to a host that is not on the allowlist', async () => {
    const execution = await fetchWith(sut, server.url('/to-other-host'));
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'HOST_NOT_ALLOWED' },
    });
    expect(
      server.hits.filter((h) => h.path === '/hello' && h.headers.host?.startsWith('localhost')),
    ).toHaveLength(0);
  });

  it('refuses a redirect to a link-local (cloud metadata) address, even when allowlisted', async () => {
    const execution = await fetchWith(sut, server.url('/to-metadata'));
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'ADDRESS_NOT_ALLOWED' },
    });
    expect(execution.error?.message).toMatch(/linkLocal/);
  });

  it('refuses private addresses even with loopback allowed for tests', async () => {
    const execution = await fetchWith(sut, 'http://10.0.0.1/');
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'ADDRESS_NOT_ALLOWED' },
    });
  });

  it('stops redirect loops', async () => {
    const execution = await fetchWith(sut, server.url('/loop'));
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'TOO_MANY_REDIRECTS' },
    });
  });

  it('refuses non-http schemes', async () => {
    const execution = await fetchWith(sut, 'file:///etc/passwd');
    expect(execution).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'SCHEME_NOT_ALLOWED' },
    });
  });

  it('by default refuses loopback, by literal and by a name that resolves to it', async () => {
    const before = server.hits.length;
    const literal = await fetchWith(strict, server.url('/hello'));
    expect(literal).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'ADDRESS_NOT_ALLOWED' },
    });
    const named = await fetchWith(strict, `http://localhost:${server.port}/hello`);
    expect(named).toMatchObject({
      status: S.TOOL_CALL_STATUS_FAILED,
      error: { reason: 'ADDRESS_NOT_ALLOWED' },
    });
    expect(named.error?.message).toMatch(/loopback/);
    expect(server.hits.length).toBe(before);
  });
});
