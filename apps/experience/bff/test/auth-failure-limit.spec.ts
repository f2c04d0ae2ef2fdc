// Repeated 401s from one client address, against a real BFF on real Redis and PostgreSQL: after
// AUTH_FAILURES_PER_MINUTE failures the address gets 429 (too_many_authentication_failures, retry-after)
// before any key is looked up, a valid key from it included; other addresses are not affected; an
// X-Forwarded-For header does not move the count while no proxy is trusted. Each case sends from its own
// loopback address (127.0.0.x), so the count is the case's own.
import { request } from 'node:http';

import type { CreatedKey } from '../src/admin/admin.service';
import { startStack, type Stack } from './support/stack.fixture';

const LIMIT = 3;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { type: string; code: string | null; message: string } };
}

describe('BFF authentication failure limit', () => {
  let stack: Stack;
  let key: CreatedKey;
  let nextAddress = 10 + Math.floor(Math.random() * 200);

  beforeAll(async () => {
    stack = await startStack({ bffEnv: { AUTH_FAILURES_PER_MINUTE: String(LIMIT) } });
    key = await stack.tenant('auth-failures');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  /** GET /v1/models from `localAddress` with `secret` as the bearer key. */
  function models(
    localAddress: string,
    secret: string,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const url = new URL(`${stack.url}/v1/models`);
    return new Promise((done, fail) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          localAddress,
          headers: { authorization: `Bearer ${secret}`, ...headers },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
          );
        },
      );
      req.on('error', fail);
      req.end();
    });
  }

  const address = () => `127.0.0.${nextAddress++}`;
  const wrong = () => `sk-hearth-${'x'.repeat(40)}`;

  it('answers 401 up to the limit, then 429 with retry-after, a valid key from that address included', async () => {
    const from = address();
    for (let i = 0; i < LIMIT; i++) expect((await models(from, wrong())).status).toBe(401);

    const blocked = await models(from, wrong());
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toMatchObject({ type: 'requests', code: 'too_many_authentication_failures' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await models(from, key.secret)).status).toBe(429);

    expect((await models(address(), key.secret)).status).toBe(200);
  });

  it('counts a missing key too, and a valid key does not reset the count', async () => {
    const from = address();
    expect((await models(from, key.secret)).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) expect((await models(from, '')).status).toBe(401);
    expect((await models(from, key.secret)).status).toBe(429);
  });

  it('ignores X-Forwarded-For while no proxy is trusted: a client cannot spread its failures', async () => {
    const from = address();
    for (let i = 0; i < LIMIT; i++) {
      expect((await models(from, wrong(), { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    }
    expect((await models(from, wrong(), { 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);
  });
});
