// The OpenAI-compatible surface that needs no turn loop, end to end through the official `openai`
// SDK against a real BFF, model gateway and inference worker (tiny GGUF), real PostgreSQL and Redis:
// models, embeddings, auth failures as the SDK's error classes, request validation in OpenAI's error
// shape, rate limiting with its headers, and tenant isolation of the conversations extension.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { USAGE_TOPIC } from '@hearth/events';
import { sharedMetricsRegistry } from '@hearth/telemetry';
import { consumeTopicRecords, waitFor } from '@hearth/testing';

import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

/** The fields these specs read from JSON bodies (errors, conversations, lists). */
interface Body {
  error: { message: string; type: string; param: string | null; code: string | null };
  id: string;
  title: string | null;
  data: unknown[];
}
const read = async (res: Response): Promise<Body> => (await res.json()) as Body;

/** The parts of the committed OpenAPI document these specs compare the behaviour with. */
interface JsonSchema {
  [key: string]: unknown;
  properties: Record<string, JsonSchema & { anyOf: JsonSchema[] }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters: { name: string; schema: JsonSchema }[] }>>;
  components: { schemas: Record<string, JsonSchema> };
}
const committedDocument = (): unknown =>
  JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
const document = committedDocument() as OpenApiDocument;

describe('BFF API surface', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;

  const raw = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${stack.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.key ?? key.secret}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });

  beforeAll(async () => {
    stack = await startStack({ bffEnv: { HTTP_BODY_LIMIT_BYTES: '4096' } });
    key = await stack.tenant('acme');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('models', () => {
    it('lists the registry models in OpenAI shape', async () => {
      const page = await sut.models.list();
      expect(page.data.map((m) => m.id)).toEqual([MODEL_ID]);
      const body = await read(await raw('/v1/models'));
      expectOpenAiShape('ListModelsResponse', body);
    });

    it('retrieves a model by id or alias, and answers 404 (NotFoundError) for an unknown one', async () => {
      const model = await sut.models.retrieve('fast');
      expect(model).toMatchObject({ id: MODEL_ID, object: 'model', owned_by: 'hearth' });
      expectOpenAiShape('Model', model);
      const error = await sut.models.retrieve('no-such-model').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    });
  });

  describe('embeddings', () => {
    it('embeds through the gateway, in float and in the base64 the SDK asks for by default', async () => {
      const viaSdk = await sut.embeddings.create({ model: MODEL_ID, input: ['hello world', 'goodbye'] });
      expect(viaSdk.data).toHaveLength(2);
      expect(viaSdk.data[0]?.embedding.length).toBeGreaterThan(8);
      expect(viaSdk.usage.prompt_tokens).toBeGreaterThan(0);
      const res = await raw('/v1/embeddings', {
        method: 'POST',
        body: JSON.stringify({ model: MODEL_ID, input: 'hello world', encoding_format: 'float' }),
      });
      const body = (await res.json()) as { data: { embedding: number[] }[] };
      expectOpenAiShape('CreateEmbeddingResponse', body);
      const floats = body.data[0]?.embedding ?? [];
      expect(viaSdk.data[0]?.embedding[0]).toBeCloseTo(floats[0] ?? NaN, 5);
    });

    it('meters every embeddings call, also when a client sends the same X-Request-Id again', async () => {
      const usage = await consumeTopicRecords([USAGE_TOPIC.name]);
      try {
        const clientId = `client-${randomUUID()}`;
        for (let i = 0; i < 2; i++) {
          const res = await raw('/v1/embeddings', {
            method: 'POST',
            headers: { 'x-request-id': clientId },
            body: JSON.stringify({ model: MODEL_ID, input: `text ${i}`, encoding_format: 'float' }),
          });
          expect(res.status).toBe(200);
          expect(res.headers.get('x-request-id')).toBe(clientId);
        }
        const metered = () =>
          usage.records
            .map((r) => JSON.parse(r.value) as { tenantId: string; payload: { requestId: string } })
            .filter((e) => e.tenantId === key.tenantId && e.payload.requestId.startsWith(`${clientId}:`));
        await waitFor('two usage events', () => metered().length === 2);
        const ids = metered().map((e) => e.payload.requestId);
        expect(new Set(ids).size).toBe(2);
      } finally {
        await usage.close();
      }
    });

    it('names the bad input: an empty string, alone or in a list, as the document says (minLength 1)', async () => {
      const error = await sut.embeddings.create({ model: MODEL_ID, input: '' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input');
      const inList = await sut.embeddings
        .create({ model: MODEL_ID, input: ['a', ''] })
        .catch((e: unknown) => e);
      expect(inList).toMatchObject({ status: 400, param: 'input[1]' });
      const documented = document.components.schemas.CreateEmbeddingRequest;
      expect(documented?.properties.input?.anyOf[0]).toMatchObject({ type: 'string', minLength: 1 });
    });

    it('refuses dimensions with 400, and the document offers no value for it', async () => {
      const error = await sut.embeddings
        .create({ model: MODEL_ID, input: 'hi', dimensions: 8 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, param: 'dimensions' });
      const documented = document.components.schemas.CreateEmbeddingRequest;
      expect(documented?.properties.dimensions).toEqual({ not: {} });
    });
  });

  describe('authentication', () => {
    it('answers 401 (AuthenticationError) without a key and with a wrong one', async () => {
      const missing = await raw('/v1/models', { key: '' });
      expect(missing.status).toBe(401);
      expectOpenAiShape('ErrorResponse', await missing.json());
      const wrong = new OpenAI({ apiKey: `sk-${'x'.repeat(43)}`, baseURL: stack.baseURL, maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it('stops accepting a key once it is revoked', async () => {
      const other = await stack.tenant(undefined);
      const client = new OpenAI({ apiKey: other.secret, baseURL: stack.baseURL, maxRetries: 0 });
      await expect(client.models.list()).resolves.toBeDefined();
      await stack.admin.revokeKey(other.prefix);
      // The BFF's key cache forgets the key when PostgreSQL's notification of the change arrives.
      await waitFor('the revoked key refused', () =>
        client.models.list().then(
          () => false,
          (error: unknown) => error instanceof OpenAI.AuthenticationError,
        ),
      );
    });

    it('answers 403 for a route outside the key scopes', async () => {
      const limited = await stack.tenant(undefined, { scopes: ['models'] });
      const client = new OpenAI({ apiKey: limited.secret, baseURL: stack.baseURL, maxRetries: 0 });
      await expect(client.models.list()).resolves.toBeDefined();
      await expect(client.embeddings.create({ model: MODEL_ID, input: 'x' })).rejects.toBeInstanceOf(
        OpenAI.PermissionDeniedError,
      );
    });
  });

  describe('request validation', () => {
    const chat = (body: string, headers: Record<string, string> = {}) =>
      raw('/v1/chat/completions', { method: 'POST', body, headers });

    it('rejects malformed JSON with 400 in the OpenAI envelope', async () => {
      const res = await chat('{"model": "tiny", "messages": [');
      expect(res.status).toBe(400);
      const body = await read(res);
      expectOpenAiShape('ErrorResponse', body);
      expect(body.error.code).toBe('invalid_json');
    });

    it('refuses a body nested deeper than 64 levels with 400, before anything walks it', async () => {
      let parameters: unknown = { type: 'object' };
      // 70 levels fit this stack's 4 KB body limit; a few thousand would overflow a recursive walk.
      for (let i = 0; i < 70; i++) parameters = { properties: { d: parameters } };
      const res = await raw('/v1/chat/completions', {
        method: 'POST',
        key: (await stack.tenant('nesting')).secret,
        body: JSON.stringify({
          model: MODEL_ID,
          messages: [{ role: 'user', content: 'hi' }],
          tools: [{ type: 'function', function: { name: 'deep', parameters } }],
        }),
      });
      expect(res.status).toBe(400);
      const body = await read(res);
      expectOpenAiShape('ErrorResponse', body);
      expect(body.error).toMatchObject({
        code: 'invalid_json',
        message: expect.stringMatching(/nested more than 64/),
      });
    });

    it('refuses max_tokens beyond what the contracts carry, rather than wrapping it around', async () => {
      const res = await raw('/v1/chat/completions', {
        method: 'POST',
        key: (await stack.tenant('wraparound')).secret,
        body: JSON.stringify({
          model: MODEL_ID,
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 2 ** 32 + 1,
        }),
      });
      expect(res.status).toBe(400);
      expect((await read(res)).error.param).toBe('max_tokens');
    });

    it('rejects a body over the limit with 413', async () => {
      const res = await chat(
        JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      );
      expect(res.status).toBe(413);
      expect((await read(res)).error.code).toBe('request_too_large');
    });

    it('names a wrong-typed field and an unknown field', async () => {
      const wrongType = await chat(
        JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }),
      );
      expect(wrongType.status).toBe(400);
      expect((await read(wrongType)).error.param).toBe('temperature');
      const unknown = await chat(
        JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], tempreature: 1 }),
      );
      expect(unknown.status).toBe(400);
      const body = await read(unknown);
      expect(body.error).toMatchObject({ param: 'tempreature', code: 'unknown_parameter' });
      const nested = await chat(
        JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 42 }] }),
      );
      expect((await read(nested)).error.param).toBe('messages[0].content');
    });

    it('refuses n > 1 with a clear 400', async () => {
      const error = await sut.chat.completions
        .create({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], n: 2 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('n');
    });

    it('answers unknown routes with a 404 in the envelope', async () => {
      const res = await raw('/v1/nothing-here');
      expect(res.status).toBe(404);
      expectOpenAiShape('ErrorResponse', await res.json());
    });

    it('answers a method the document does not list on a documented path with 405, Allow and the envelope', async () => {
      const path = `/v1/conversations/${randomUUID()}`;
      const listed = await raw(path, { method: 'DELETE' });
      expect(listed.status).toBe(404);
      const res = await raw(path, { method: 'PUT', body: '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST, PATCH, DELETE, HEAD');
      const body = await read(res);
      expectOpenAiShape('ErrorResponse', body);
      expect(body.error).toMatchObject({
        type: 'invalid_request_error',
        message: `Invalid method for URL (PUT ${path}).`,
      });
      const models = await raw('/v1/models', { method: 'POST' });
      expect(models.status).toBe(405);
      expect(models.headers.get('allow')).toBe('GET, HEAD');
    });

    it('creates a conversation from a POST without a body (it is optional), not from one that is not an object', async () => {
      const bare = await fetch(`${stack.url}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}` },
      });
      expect(bare.status).toBe(200);
      expect(await read(bare)).toMatchObject({ object: 'conversation', title: null });
      const notAnObject = await raw('/v1/conversations', { method: 'POST', body: '[]' });
      expect(notAnObject.status).toBe(400);
      expect((await read(notAnObject)).error.code).toBe('invalid_body');
    });

    it('pages with a cursor, and refuses an empty one as the document says (minLength 1)', async () => {
      const page = await raw('/v1/conversations?limit=1');
      expect(page.status).toBe(200);
      const empty = await raw('/v1/conversations?after=');
      expect(empty.status).toBe(400);
      expect((await read(empty)).error.param).toBe('after');
      // A cursor this server never made (an edited one): 400, not a failed query.
      const forged = Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000Z', 'x'])).toString('base64url');
      const edited = await raw(`/v1/conversations?after=${forged}`);
      expect(edited.status).toBe(400);
      expect((await read(edited)).error.param).toBe('after');
      const list = document.paths['/v1/conversations']?.get;
      const after = list?.parameters.find((p) => p.name === 'after');
      expect(after?.schema).toMatchObject({ type: 'string', minLength: 1 });
    });
  });

  describe('rate limits', () => {
    it('sends x-ratelimit headers and a 429 (RateLimitError) with retry-after once the bucket is empty', async () => {
      const rejected = async () =>
        (await sharedMetricsRegistry().getSingleMetric('hearth_rate_limit_rejections_total')?.get())?.values
          .filter((v) => v.labels['limit'] === 'requests')
          .reduce((sum, v) => sum + v.value, 0) ?? 0;
      const rejectedBefore = await rejected();
      const limited = await stack.tenant(undefined, { rpm: 2 });
      const first = await raw('/v1/models', { key: limited.secret });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
      expect(first.headers.get('x-ratelimit-limit-tokens')).toBeTruthy();
      expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$/);
      await raw('/v1/models', { key: limited.secret });
      const client = new OpenAI({ apiKey: limited.secret, baseURL: stack.baseURL, maxRetries: 0 });
      const error = await client.models.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const headers = (error as InstanceType<typeof OpenAI.RateLimitError>).headers;
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect((await rejected()) - rejectedBefore).toBe(1);
    });

    it('limits tokens per minute on the estimate of a request', async () => {
      const limited = await stack.tenant(undefined, { tpm: 100 });
      const client = new OpenAI({ apiKey: limited.secret, baseURL: stack.baseURL, maxRetries: 0 });
      await client.embeddings.create({ model: MODEL_ID, input: 'x'.repeat(300) });
      const error = await client.embeddings
        .create({ model: MODEL_ID, input: 'x'.repeat(300) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).type).toBe('tokens');
    });
  });

  describe('tenant isolation', () => {
    it("answers 404 for another tenant's conversation, as for a missing one", async () => {
      const created = await read(
        await raw('/v1/conversations', { method: 'POST', body: JSON.stringify({ title: 'mine' }) }),
      );
      expect(created).toMatchObject({ object: 'conversation', title: 'mine' });
      const intruder = await stack.tenant('intruder');
      for (const [method, path] of [
        ['GET', `/v1/conversations/${created.id}`],
        ['PATCH', `/v1/conversations/${created.id}`],
        ['DELETE', `/v1/conversations/${created.id}`],
        ['GET', `/v1/conversations/${created.id}/messages`],
      ] as const) {
        const res = await raw(path, {
          method,
          key: intruder.secret,
          ...(method === 'PATCH' && { body: JSON.stringify({ title: 'stolen' }) }),
        });
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 404 });
      }
      const list = await read(await raw('/v1/conversations', { key: intruder.secret }));
      expect(list.data).toEqual([]);
      const mine = await read(await raw(`/v1/conversations/${created.id}`));
      expect(mine.title).toBe('mine');
    });
  });

  describe('upstream failures', () => {
    it('answers 503 (InternalServerError) with retry-after, promptly, when the orchestrator is unreachable', async () => {
      // This stack runs no orchestrator: its address is a closed port.
      const started = Date.now();
      const error = await sut.chat.completions
        .create({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      const apiError = error as InstanceType<typeof OpenAI.InternalServerError>;
      expect(apiError.status).toBe(503);
      expect(Number(apiError.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('OpenAPI document', () => {
    it('serves exactly the committed apps/experience/bff/openapi.json (regenerate with scripts/write-openapi.ts)', async () => {
      const res = await fetch(`${stack.url}/openapi.json`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(committedDocument());
    });
  });
});
