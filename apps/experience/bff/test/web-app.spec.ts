// The BFF serving the web app's build at `/` (src/web/): content types, caching (index.html
// revalidated, hashed assets immutable), the Content-Security-Policy and the other security headers,
// gzip, conditional requests, and what it answers for everything that is not part of the build: the
// API untouched, a missing file or another method the OpenAI error envelope, a missing build a clear 404.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { bffConfigSchema, loadConfig } from '@hearth/config';
import { createLogger } from '@hearth/telemetry';
import { freePort, infraEnv } from '@hearth/testing';

import { createBffApp, type BffApp } from '../src/app/bff-app.factory';

const INDEX =
  '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('hearth '.repeat(200))});`;

/** A raw GET, so the path reaches the server exactly as written (fetch normalizes dot segments). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startBff(webDir: string): Promise<BffApp> {
  const infra = infraEnv();
  const config = loadConfig(bffConfigSchema, {
    DATABASE_URL: infra.databaseUrl,
    REDIS_URL: infra.redisUrl,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    ORCHESTRATOR_ADDRESS: `127.0.0.1:${await freePort()}`,
    MODEL_GATEWAY_ADDRESS: `127.0.0.1:${await freePort()}`,
    WEB_APP_DIR: webDir,
  });
  return createBffApp(config, { logger: createLogger({ service: 'bff', level: 'error' }) });
}

describe('BFF web app serving', () => {
  let dir: string;
  let sut: BffApp;
  let unbuilt: BffApp;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bff-web-'));
    const build = join(dir, 'build');
    await mkdir(join(build, 'assets'), { recursive: true });
    await writeFile(join(build, 'index.html'), INDEX);
    await writeFile(join(build, 'assets', 'index-AbC123.js'), SCRIPT);
    await writeFile(join(build, 'assets', 'index-AbC123.js.map'), '{}');
    await writeFile(join(build, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await mkdir(join(dir, 'empty'));
    sut = await startBff(build);
    unbuilt = await startBff(join(dir, 'empty'));
  });

  afterAll(async () => {
    await sut?.close();
    await unbuilt?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / for revalidation on every load, under a strict CSP', async () => {
    const res = await fetch(`${sut.url}/`);

    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'font-src': "'self'",
      'connect-src': "'self'",
      'manifest-src': "'self'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
      'require-trusted-types-for': "'script'",
      'trusted-types': 'dompurify',
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect((await fetch(`${sut.url}/index.html`)).headers.get('etag')).toBe(res.headers.get('etag'));
  });

  it('answers 304 without a body when the browser already has the current index.html', async () => {
    const first = await fetch(`${sut.url}/`);
    const etag = first.headers.get('etag') ?? '';

    const again = await fetch(`${sut.url}/`, { headers: { 'if-none-match': etag } });

    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const stale = await fetch(`${sut.url}/`, { headers: { 'if-none-match': '"an-older-build"' } });
    expect(stale.status).toBe(200);
  });

  it('serves hashed assets as immutable, gzipped for clients that accept it', async () => {
    const zipped = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        const req = request(
          `${sut.url}/assets/index-AbC123.js`,
          { headers: { 'accept-encoding': 'gzip, br' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(zipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(zipped.headers['vary']).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(SCRIPT.length);
    expect(gunzipSync(zipped.body).toString()).toBe(SCRIPT);

    const plain = await rawGet(sut.url, '/assets/index-AbC123.js');
    expect(plain).toEqual({ status: 200, body: SCRIPT });
    const icon = await fetch(`${sut.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(`${sut.url}/`, { method: 'HEAD' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX)));
    expect(await res.text()).toBe('');
  });

  it('answers a missing file, a source map, a path escaping the build, or a POST with the 404 envelope', async () => {
    for (const path of [
      '/assets/missing.js',
      '/assets/index-AbC123.js.map',
      '/assets/%2e%2e/index.html',
      '/../index.html',
    ]) {
      const res = await rawGet(sut.url, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(JSON.parse(res.body)).toMatchObject({
        error: { code: 'unknown_url', type: 'invalid_request_error' },
      });
    }
    const post = await fetch(`${sut.url}/`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ error: { code: 'unknown_url' } });
  });

  it('leaves the API as it was: no app headers on /v1 and /healthz, auth still required', async () => {
    const models = await fetch(`${sut.url}/v1/models`);
    expect(models.status).toBe(401);
    expect(models.headers.get('content-security-policy')).toBeNull();
    expect(await (await fetch(`${sut.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('says how to build the app when WEB_APP_DIR holds no build, and still serves the API', async () => {
    const res = await fetch(`${unbuilt.url}/`);

    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { code: 'web_app_not_built', message: expect.stringContaining('nx run web:build') },
    });
    expect((await fetch(`${unbuilt.url}/healthz`)).status).toBe(200);
  });
});
