// Tenant isolation on every route, generated from the committed OpenAPI document. The owner (tenant A,
// user 1) creates one of each resource through the public API: a conversation with a finished turn
// (messages, items, a stored turn trace), a server tool call waiting for confirmation, a file, a stored
// and a background response, a background chat completion, a memory fact, and the usage the turns were charged. Then every route of
// openapi.json either has a probe (support/isolation.probes.ts) or sits on its NO_TENANT_DATA list with
// the reason it holds none; a route with neither fails the first test, so a new route cannot ship
// without a probe; and a route the BFF serves that openapi.json leaves out fails the second.
//
// Strangers: another tenant's key (tenant B, every scope, `admin` included) and another user of tenant
// A (default scopes). A stranger gets 404 in OpenAI's error envelope on every read, write and delete of
// the owner's ids (ids named in a create body included), the very answer a twin id that never existed
// gets, never sees the owner's ids or words in a listing or a retrieval, and the owner's resource is
// unchanged afterwards. Which resources are per user (so the colleague is a stranger too), from the
// stores' own filters:
// - conversations, their messages, items and tool calls: per user (tenant + user on every lookup);
// - turn traces: per user, except that an `admin` key of the same tenant may read them (checked below);
// - files: per user unless uploaded with tenant_wide (then readable, never deletable, by the tenant);
// - responses (stored and background): per user;
// - background chat completions (their streams and cancellation): per user;
// - memory facts and the opt-in switch: per user;
// - usage, costs, audit trail and budgets: per tenant and `admin` only; the colleague's default key is
//   refused (403), B's admin key answers only B's (empty) data and gets 404 for A's budget, key or user.

import { startLedgerFromTopicEnds, type ServiceProcess } from '@hearth/testing';

import OpenAI, { toFile } from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { SCOPES } from '../src/auth/authenticated-caller';
import {
  BOTH,
  MARKER,
  NO_TENANT_DATA,
  openApiRoutes,
  OUTSIDE_THE_API,
  PROBES,
  say,
  twinsOf,
  type ExpressRouterHost,
  type Json,
  type Owned,
  type Probe,
  type Reply,
  type Stranger,
  type Twins,
  type View,
} from './support/isolation.probes';
import { expectOpenAiShape } from './support/openai-schemas';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

/** Answers with one call of the calculator, which this stack's tool policy makes wait for confirmation. */
const CALC_MODEL = 'tiny-calc';
const CALC_REPLY = '||call:calculator({"expression": "6*7"})';

describe('Tenant isolation on every route of the OpenAPI document', () => {
  let stack: Stack;
  let ledger: ServiceProcess | undefined;
  let owner: CreatedKey;
  let ownerAdmin: CreatedKey;
  let keys: Record<Stranger, CreatedKey>;
  let owned: Owned;
  let toolTurn: Promise<unknown[]>;
  const snapshots = new Map<View, unknown>();
  let twins: Twins;

  const send = async (key: CreatedKey, method: string, path: string, body?: unknown): Promise<Reply> => {
    const res = await fetch(`${stack.baseURL}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key.secret}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const read = async (path: string): Promise<Json> => {
    const reply = await send(owner, 'GET', path);
    expect(reply).toMatchObject({ status: 200 });
    return reply.body;
  };

  /** The owner's view of a resource: whole, or the fields that do not move on their own. */
  const views: Record<View, () => Promise<unknown>> = {
    conversation: async () => ({
      conversation: await read(`/conversations/${owned.conversation}`),
      messages: await read(`/conversations/${owned.conversation}/messages`),
      feedback: await stack.db.prisma.messageFeedback.count({
        where: { conversationId: owned.conversation },
      }),
    }),
    toolConversation: () => read(`/conversations/${owned.toolConversation}`),
    file: async () => {
      const { id, filename, bytes, purpose, tenant_wide } = await read(`/files/${owned.file}`);
      return { id, filename, bytes, purpose, tenant_wide };
    },
    response: async () => ({
      response: await read(`/responses/${owned.response}`),
      input: await read(`/responses/${owned.response}/input_items`),
    }),
    background: () => read(`/responses/${owned.background}`),
    backgroundChat: async () => {
      const res = await fetch(`${stack.baseURL}/chat/completions/${owned.backgroundChat}/stream`, {
        headers: { authorization: `Bearer ${owner.secret}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    },
    fact: async () => {
      const list = await read('/memory/facts');
      return { opt_in: list['opt_in'], fact: (list['data'] as Json[]).find((f) => f['id'] === owned.fact) };
    },
    budget: async () => {
      const reply = await send(ownerAdmin, 'GET', `/organization/budgets/${owned.budget}`);
      expect(reply.status).toBe(200);
      const { id, scope, subject_id, period, amount, limit_micros } = reply.body;
      return { id, scope, subject_id, period, amount, limit_micros };
    },
    toolCall: async () =>
      (await stack.db.prisma.toolCall.findFirstOrThrow({ where: { callId: owned.toolCall } })).status,
  };

  const poll = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      contextSize: 2048,
      retrieval: true,
      scriptedModels: [{ id: CALC_MODEL, reply: CALC_REPLY }],
      toolPolicy: { version: 1, tenants: { default: { allow: ['calculator'], confirm: ['calculator'] } } },
    });
    ledger = (await startLedgerFromTopicEnds({ databaseUrl: stack.db.url, name: 'tenant-isolation' }))
      .process;
    owner = await stack.tenant('isolation-owner', { user: 'owner' });
    ownerAdmin = await stack.admin.createKey({ tenant: owner.tenantId, user: 'admin', scopes: ['admin'] });
    keys = {
      tenant: await stack.tenant('isolation-other', { user: 'owner', scopes: [...SCOPES] }),
      user: await stack.admin.createKey({ tenant: owner.tenantId, user: 'colleague' }),
    };
    const client = new OpenAI({ apiKey: owner.secret, baseURL: stack.baseURL, maxRetries: 0 });

    // A conversation with one finished turn: messages, items, a stored trace.
    const created = await send(owner, 'POST', '/conversations', {
      title: `${MARKER} title`,
      metadata: { note: MARKER },
    });
    const conversation = created.body['id'] as string;
    const turn = await send(owner, 'POST', '/chat/completions', {
      ...say({ conversation_id: conversation }),
      messages: [{ role: 'user', content: `Remember ${MARKER}` }],
      temperature: 0,
    });
    expect(turn.status).toBe(200);
    const messages = (await read(`/conversations/${conversation}/messages`))['data'] as Json[];
    const items = (await read(`/conversations/${conversation}/items`))['data'] as Json[];

    // A file, a stored response, a background one (finished), a memory fact.
    const file = await client.files.create({
      file: await toFile(Buffer.from(`Notes: ${MARKER}\n`), `${MARKER}.md`),
      purpose: 'assistants',
    });
    await poll('the file to be processed', async () => {
      const status = (await read(`/files/${file.id}`))['status'];
      return status === 'uploaded' ? undefined : status;
    });
    const response = await client.responses.create({ model: MODEL_ID, input: `Echo ${MARKER}` });
    const background = await client.responses.create({ model: MODEL_ID, input: MARKER, background: true });
    await poll('the background response', async () => {
      const status = (await read(`/responses/${background.id}`))['status'];
      return status === 'in_progress' || status === 'queued' ? undefined : status;
    });
    // A background chat completion (finished) in a conversation of its own.
    const chatConversation = (await send(owner, 'POST', '/conversations', { title: MARKER })).body['id'];
    const backgroundChat = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...say({ conversation_id: chatConversation, background: true, stream: true }),
        messages: [{ role: 'user', content: `Echo ${MARKER}` }],
      }),
    });
    expect(backgroundChat.status).toBe(200);
    const backgroundChatId = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(await backgroundChat.text())?.[1];
    expect((await send(owner, 'PUT', '/memory/settings', { opt_in: true })).status).toBe(200);
    const fact = await send(owner, 'POST', '/memory/facts', { text: `My code word is ${MARKER}` });
    const embedded = await send(owner, 'POST', '/embeddings', { model: MODEL_ID, input: 'owner words' });
    expect(embedded.status).toBe(200);
    const budget = await send(ownerAdmin, 'POST', '/organization/budgets', {
      scope: 'api_key',
      subject_id: owner.id,
      period: 'monthly',
      amount: { value: 1_000, currency: 'usd' },
    });
    expect(budget.status).toBe(200);
    expect(fact.status).toBe(200);

    // A server tool call waiting for the owner's confirmation; the turn stays open until then.
    const toolConversation = (await send(owner, 'POST', '/conversations', { title: MARKER })).body['id'];
    const stream = await client.chat.completions.create({
      model: CALC_MODEL,
      messages: [{ role: 'user', content: 'What is 6*7?' }],
      temperature: 0,
      max_completion_tokens: 40,
      stream: true,
      conversation_id: toolConversation,
      server_tools: ['calculator'],
      max_tool_rounds: 1,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    toolTurn = (async () => {
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    })();
    toolTurn.catch(() => undefined);
    const call = await poll('the tool call to wait for confirmation', async () => {
      const row = await stack.db.prisma.toolCall.findFirst({
        where: { conversationId: toolConversation as string, status: 'pending_confirmation' },
      });
      return row ?? undefined;
    });

    owned = {
      conversation,
      userMessage: messages.find((m) => m['role'] === 'user')?.['id'] as string,
      assistantMessage: messages.find((m) => m['role'] === 'assistant')?.['id'] as string,
      item: items[0]?.['id'] as string,
      toolConversation: toolConversation as string,
      toolCall: call.callId as string,
      file: file.id,
      response: response.id,
      background: background.id,
      backgroundChat: backgroundChatId as string,
      fact: fact.body['id'] as string,
      budget: budget.body['id'] as string,
      ownerKeyId: owner.id,
      ownerUserId: owner.userId,
      tenantId: owner.tenantId,
    };
    expect(Object.values(owned).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
    twins = twinsOf(Object.values(owned));
    for (const [view, take] of Object.entries(views)) snapshots.set(view as View, await take());
  }, 240_000);

  afterAll(async () => {
    // A turn still waiting for its confirmation (a failed or skipped test) would hold the stack open.
    if (owned) {
      const path = `/conversations/${owned.toolConversation}/tool_calls/${owned.toolCall}/reject`;
      if ((await views.toolCall()) === 'pending_confirmation') await send(owner, 'POST', path, {});
      await toolTurn.catch(() => undefined);
    }
    await ledger?.stop();
    await stack?.close();
  });

  it('has a probe, or a reason it holds no tenant data, for every route of openapi.json', () => {
    const routes = openApiRoutes();
    const unprobed = routes.filter((route) => !(route in PROBES) && !(route in NO_TENANT_DATA));
    expect(unprobed).toEqual([]);
    const stale = [...Object.keys(PROBES), ...Object.keys(NO_TENANT_DATA)].filter((r) => !routes.includes(r));
    expect(stale).toEqual([]);
  });

  it('serves no route that openapi.json leaves out (so none escapes the probe)', () => {
    const anyParam = (route: string) => route.replace(/\{[^}]+\}|:[A-Za-z_]+/g, '{}');
    const documented = new Set([...openApiRoutes(), ...OUTSIDE_THE_API].map(anyParam));
    const router = (stack.bff?.app.getHttpAdapter().getInstance() as ExpressRouterHost).router;
    const served = router.stack.flatMap(({ route }) =>
      route ? Object.keys(route.methods).map((m) => `${m.toUpperCase()} ${route.path}`) : [],
    );
    expect(served.length).toBeGreaterThan(OUTSIDE_THE_API.length);
    expect(served.filter((route) => !documented.has(anyParam(route)))).toEqual([]);
  });

  describe.each(Object.keys(PROBES))('%s', (route) => {
    const probe = PROBES[route] as Probe;
    const method = route.split(' ')[0] as string;

    const who = probe.strangers.map((s) =>
      s === 'tenant' ? 'another tenant' : 'another user of the tenant',
    );

    it(`shows nothing of the owner's to ${who.join(' or ')}, and changes nothing of it`, async () => {
      for (const stranger of probe.strangers) {
        const key = keys[stranger];
        for (const request of probe.requests?.(owned) ?? []) {
          const reply = await send(key, method, request.path, request.body);
          expect({ stranger, path: request.path, status: reply.status }).toEqual({
            stranger,
            path: request.path,
            status: 404,
          });
          expectOpenAiShape('ErrorResponse', reply.body);
          expect(JSON.stringify(reply.body)).not.toContain(MARKER);
          // Exactly what ids that never existed get: the answer says nothing of what the owner has.
          const missing = await send(key, method, twins.swap(request.path), twins.swap(request.body));
          expect({ status: missing.status, body: twins.unswap(missing.body) }).toEqual({
            status: 404,
            body: reply.body,
          });
        }
        if (probe.listing) {
          const reply = await send(key, method, probe.listing.path(owned));
          expect({ stranger, status: reply.status }).toEqual({ stranger, status: 200 });
          const text = JSON.stringify(reply.body);
          for (const id of [...probe.listing.ids(owned), MARKER]) expect(text).not.toContain(id);
        }
        for (const request of probe.own ?? []) {
          const reply = await send(key, method, request.path, request.body);
          expect({ stranger, status: reply.status }).toEqual({ stranger, status: 200 });
          const text = JSON.stringify(reply.body);
          for (const id of [owned.file, owned.fact, owned.conversation, MARKER])
            expect(text).not.toContain(id);
          request.stranger?.(reply.body);
        }
      }
      for (const stranger of probe.refused ?? []) {
        const reply = await send(keys[stranger], method, probe.listing?.path(owned) ?? '');
        expect({ stranger, status: reply.status }).toEqual({ stranger, status: 403 });
        expectOpenAiShape('ErrorResponse', reply.body);
      }
      for (const view of probe.intact ?? []) expect(await views[view]()).toEqual(snapshots.get(view));
      for (const request of probe.own ?? []) {
        if (!request.owner) continue;
        const reply = await send(owner, method, request.path, request.body);
        expect(reply.status).toBe(200);
        request.owner(reply.body);
      }
      if (probe.listing) {
        // The owner's own listing shows them: the strangers' empty answers are not a broken route.
        const key = probe.listing.owner === 'admin' ? ownerAdmin : owner;
        const path = probe.listing.path(owned);
        const text = await poll(`${path} to show the owner's data`, async () => {
          const reply = JSON.stringify((await send(key, 'GET', path)).body);
          return probe.listing!.ids(owned).every((id) => reply.includes(id)) ? reply : undefined;
        });
        for (const id of probe.listing.ids(owned)) expect(text).toContain(id);
      }
    });
  });

  it('shows a trace to an admin of the owner’s tenant, never to another tenant’s admin', async () => {
    const path = `/conversations/${owned.conversation}/messages/${owned.assistantMessage}/trace`;
    const tenantAdmin = await stack.admin.createKey({
      tenant: owner.tenantId,
      user: 'auditor',
      scopes: ['conversations', 'admin'],
    });
    expect((await send(tenantAdmin, 'GET', path)).status).toBe(200);
    expect((await send(keys.tenant, 'GET', path)).status).toBe(404);
  });

  it('answers a file listing whose cursor is the owner’s file as one whose cursor never existed', async () => {
    const ownerFile = await stack.db.prisma.file.findUniqueOrThrow({ where: { id: owned.file } });
    for (const stranger of BOTH) {
      // The stranger's own file, older than the owner's: a page after the owner's would hold it.
      const form = new FormData();
      form.append('purpose', 'assistants');
      form.append('file', new Blob([`${stranger} notes\n`]), `${stranger}.md`);
      const upload = await fetch(`${stack.baseURL}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys[stranger].secret}` },
        body: form,
      });
      const own = (await upload.json()) as Json;
      await stack.db.prisma.file.update({
        where: { id: own['id'] as string },
        data: { createdAt: new Date(ownerFile.createdAt.getTime() - 60_000) },
      });
      const owners = await send(keys[stranger], 'GET', `/files?after=${owned.file}`);
      const missing = await send(keys[stranger], 'GET', `/files?after=${twins.swap(owned.file)}`);
      expect({ stranger, status: owners.status, body: owners.body }).toEqual({
        stranger,
        status: missing.status,
        body: missing.body,
      });
      expect((await send(keys[stranger], 'DELETE', `/files/${own['id'] as string}`)).status).toBe(200);
    }
  });

  it('shares a tenant_wide file with the tenant only: a colleague reads it, never deletes it', async () => {
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('tenant_wide', 'true');
    form.append('file', new Blob([`Shared notes ${MARKER}\n`]), 'shared.md');
    const upload = await fetch(`${stack.baseURL}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.secret}` },
      body: form,
    });
    const shared = (await upload.json()) as Json;
    expect(shared).toMatchObject({ tenant_wide: true });
    const path = `/files/${shared['id'] as string}`;

    expect((await send(keys.user, 'GET', path)).body).toMatchObject({ id: shared['id'], tenant_wide: true });
    expect(JSON.stringify((await send(keys.user, 'GET', '/files')).body)).toContain(shared['id']);
    expect((await send(keys.user, 'DELETE', path)).status).toBe(404);
    expect((await send(keys.tenant, 'GET', path)).status).toBe(404);
    expect((await send(keys.tenant, 'DELETE', path)).status).toBe(404);
    expect(JSON.stringify((await send(keys.tenant, 'GET', '/files')).body)).not.toContain(shared['id']);
    expect((await send(owner, 'GET', path)).status).toBe(200);
  });

  it('lets the owner approve the call no stranger could resolve, and the turn finishes', async () => {
    const reply = await send(
      owner,
      'POST',
      `/conversations/${owned.toolConversation}/tool_calls/${owned.toolCall}/approve`,
      {},
    );
    expect(reply).toMatchObject({ status: 200, body: { call_id: owned.toolCall, status: 'succeeded' } });
    expect((await toolTurn).length).toBeGreaterThan(0);
  });
});
