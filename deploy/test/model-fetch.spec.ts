// The model-fetch init step (deploy/docker/model-fetch.mjs) as a real process against a real HTTPS
// server on loopback (a throw-away self-signed certificate, trusted through NODE_EXTRA_CA_CERTS):
// a good download lands under its final name, a wrong digest leaves nothing behind, a cached file
// with the right digest is not downloaded again, and a token travels as a bearer header.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from './support/deploy-tools.util';

const SCRIPT = join(REPO_ROOT, 'deploy', 'docker', 'model-fetch.mjs');
const MODEL = Buffer.from('GGUF' + 'x'.repeat(100_000));
const SHA256 = createHash('sha256').update(MODEL).digest('hex');

describe('model-fetch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-model-fetch-'));
  const requests: Array<{ url: string; authorization?: string }> = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    expect(made.status).toBe(0);
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/model.gguf') res.writeHead(200, { 'content-length': MODEL.length }).end(MODEL);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function fetchModel(env: Record<string, string>): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [SCRIPT], {
        env: { PATH: process.env['PATH'], NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), ...env },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => resolve({ code: code ?? 1, output }));
    });
  }

  it('downloads the model under its final name once the sha256 matched, sending the token', async () => {
    const path = join(dir, 'good', `${SHA256}.gguf`);
    const result = await fetchModel({
      MODEL_URI: `${base}/model.gguf`,
      MODEL_SHA256: SHA256,
      MODEL_PATH: path,
      MODEL_FETCH_TOKEN: 'hf_secret',
    });
    expect(result).toMatchObject({ code: 0, output: expect.stringContaining('model fetched') });
    expect(readFileSync(path).equals(MODEL)).toBe(true);
    expect(readdirSync(join(dir, 'good'))).toEqual([`${SHA256}.gguf`]);
    expect(requests.at(-1)).toEqual({ url: '/model.gguf', authorization: 'Bearer hf_secret' });
  });

  it('refuses a file with another digest and leaves nothing behind', async () => {
    const path = join(dir, 'bad', 'model.gguf');
    const result = await fetchModel({
      MODEL_URI: `${base}/model.gguf`,
      MODEL_SHA256: 'f'.repeat(64),
      MODEL_PATH: path,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `sha256 mismatch for ${base}/model.gguf: expected ${'f'.repeat(64)}, got ${SHA256}`,
    );
    expect(readdirSync(join(dir, 'bad'))).toEqual([]);
  });

  it('keeps a cached file with the right digest without downloading it again', async () => {
    const path = join(dir, 'cached.gguf');
    writeFileSync(path, MODEL);
    const before = requests.length;
    const result = await fetchModel({
      MODEL_URI: `${base}/model.gguf`,
      MODEL_SHA256: SHA256,
      MODEL_PATH: path,
    });
    expect(result).toMatchObject({ code: 0, output: expect.stringContaining('model already present') });
    expect(requests.length).toBe(before);
  });

  it('replaces a cached file with another digest', async () => {
    const path = join(dir, 'stale.gguf');
    writeFileSync(path, 'not the model');
    const result = await fetchModel({
      MODEL_URI: `${base}/model.gguf`,
      MODEL_SHA256: SHA256,
      MODEL_PATH: path,
    });
    expect(result.code).toBe(0);
    expect(readFileSync(path).equals(MODEL)).toBe(true);
  });

  it.each([
    [
      'a missing digest',
      { MODEL_URI: 'https://example.com/m.gguf', MODEL_PATH: '/tmp/m.gguf' },
      /MODEL_SHA256 \(64 lowercase hex\) are required/,
    ],
    [
      'a plain-http URI',
      { MODEL_URI: 'http://example.com/m.gguf', MODEL_SHA256: SHA256, MODEL_PATH: join(dir, 'h.gguf') },
      /must be https:\/\/ or hf:/,
    ],
    [
      'a server error',
      { MODEL_URI: 'BASE/missing.gguf', MODEL_SHA256: SHA256, MODEL_PATH: join(dir, 'missing', 'm.gguf') },
      /answered 404/,
    ],
  ])('fails on %s with a message saying so', async (_, env, message) => {
    const withServer = Object.fromEntries(
      Object.entries(env as Record<string, string>).map(([k, v]) => [k, v.replace('BASE', base)]),
    );
    const result = await fetchModel(withServer);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(message);
    expect(existsSync(join(dir, 'missing', 'm.gguf'))).toBe(false);
  });
});
