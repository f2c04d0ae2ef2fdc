import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';

import { methodNotAllowedMiddleware } from './method-not-allowed.middleware';

describe(methodNotAllowedMiddleware.name, () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(
      methodNotAllowedMiddleware({
        '/v1/files': { get: {}, post: {} },
        '/v1/files/{id}': { get: {}, delete: {}, parameters: [] },
        '/v1/conversations/{id}/messages/{mid}/feedback': { post: {} },
      }),
    );
    app.get('/v1/files', (_req, res) => void res.json({ listed: true }));
    app.delete('/v1/files/:id', (req, res) => void res.json({ deleted: req.params.id }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('passes a documented method through to its route, HEAD with GET', async () => {
    const res = await fetch(`${base}/v1/files/file-1`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: 'file-1' });
    expect((await fetch(`${base}/v1/files`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers an undocumented method on a documented path with 405, Allow and the OpenAI envelope', async () => {
    const res = await fetch(`${base}/v1/files/file-1`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE, HEAD');
    expect(await res.json()).toEqual({
      error: {
        message: 'Invalid method for URL (PUT /v1/files/file-1).',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const nested = await fetch(`${base}/v1/conversations/c1/messages/m1/feedback`, { method: 'GET' });
    expect(nested.status).toBe(405);
    expect(nested.headers.get('allow')).toBe('POST');
  });

  it('leaves paths the document does not describe to routing (404 there)', async () => {
    expect((await fetch(`${base}/v1/files/file-1/content`, { method: 'PUT' })).status).toBe(404);
    expect((await fetch(`${base}/v1/nothing`, { method: 'PATCH' })).status).toBe(404);
  });
});
