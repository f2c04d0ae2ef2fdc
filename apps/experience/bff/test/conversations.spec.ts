// The conversations and memory extensions end to end: conversations created, paginated, renamed and
// deleted (tombstone + hot-window eviction), messages listed in order, the turn trace of an answer for
// its owner and tenant admins only, feedback stored with its audit event in the outbox, memory facts
// and the opt-in switch through the context service, and tool-call confirmations through the tool
// runner, each scoped to the caller's tenant and user. Prompt variants: a turn names one with the
// Hearth-Prompt-Variant header, its trace names the variant and prompt versions, and the admin
// report counts feedback per variant for one tenant.
import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { FeedbackReport } from '../src/admin/feedback.report';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

interface Json {
  [key: string]: unknown;
}

describe('Conversations extension', () => {
  let stack: Stack;
  let key: CreatedKey;

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const res = await fetch(`${stack.baseURL}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.key ?? key.secret}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** A conversation with one finished turn; returns its id and the assistant message id. */
  const conversationWithTurn = async (owner: CreatedKey = key, promptVariant?: string) => {
    const { body: conversation } = await call('/conversations', {
      method: 'POST',
      body: { title: 't' },
      key: owner.secret,
    });
    const client = new OpenAI({ apiKey: owner.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const completion = (await client.chat.completions.create(
      {
        model: MODEL_ID,
        messages: [{ role: 'user', content: 'Say hello' }],
        temperature: 0,
        conversation_id: conversation['id'],
      } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
      {
        headers: promptVariant ? { 'Hearth-Prompt-Variant': promptVariant } : {},
      },
    )) as OpenAI.Chat.ChatCompletion & {
      message_id: string;
    };
    return { id: conversation['id'] as string, messageId: completion.message_id };
  };

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      // No conversation is in the rollout (0%): a turn gets `concise` only by naming it.
      orchestratorEnv: {
        PROMPT_VARIANTS: JSON.stringify({
          '*': { rollout: 0, variants: [{ name: 'concise', prompts: { system: 'concise@v1' } }] },
        }),
      },
    });
    key = await stack.tenant('conversations');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('creates, paginates with a cursor, renames and deletes conversations', async () => {
    const own = await stack.tenant();
    const ids: string[] = [];
    for (const title of ['a', 'b', 'c']) {
      const { status, body } = await call('/conversations', {
        method: 'POST',
        body: { title },
        key: own.secret,
      });
      expect(status).toBe(200);
      ids.push(body['id'] as string);
    }
    const first = await call('/conversations?limit=2', { key: own.secret });
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    const second = await call(`/conversations?limit=2&after=${String(first.body['next_cursor'])}`, {
      key: own.secret,
    });
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    const seen = [...(first.body['data'] as Json[]), ...(second.body['data'] as Json[])].map((c) => c['id']);
    expect(seen.sort()).toEqual([...ids].sort());
    expect((await call('/conversations?after=garbage', { key: own.secret })).body).toMatchObject({
      error: { param: 'after' },
    });
    expect((await call('/conversations?limit=1000', { key: own.secret })).status).toBe(400);

    const renamed = await call(`/conversations/${ids[0]}`, {
      method: 'PATCH',
      body: { title: 'renamed' },
      key: own.secret,
    });
    expect(renamed.body).toMatchObject({ id: ids[0], title: 'renamed' });
    expect(
      (await call(`/conversations/${ids[0]}`, { method: 'PATCH', body: { title: 7 }, key: own.secret })).body,
    ).toMatchObject({
      error: { param: 'title' },
    });

    const deleted = await call(`/conversations/${ids[0]}`, { method: 'DELETE', key: own.secret });
    expect(deleted.body).toEqual({ id: ids[0], object: 'conversation.deleted', deleted: true });
    expect((await call(`/conversations/${ids[0]}`, { key: own.secret })).status).toBe(404);
    const row = await stack.db.prisma.conversation.findUnique({ where: { id: ids[0] } });
    expect(row?.deletedAt).toBeInstanceOf(Date);
  });

  it("refuses to continue another tenant's conversation with 404 (NotFoundError)", async () => {
    const { id } = await conversationWithTurn();
    const intruder = await stack.tenant();
    const client = new OpenAI({ apiKey: intruder.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const error = await client.chat.completions
      .create({
        model: MODEL_ID,
        messages: [{ role: 'user', content: 'Say hello' }],
        conversation_id: id,
      } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const rows = await stack.db.prisma.message.count({ where: { conversationId: id } });
    expect(rows).toBe(2);
  });

  it('lists the messages of a conversation in order, and 404s for another tenant', async () => {
    const { id } = await conversationWithTurn();
    const { body } = await call(`/conversations/${id}/messages`);
    const data = body['data'] as Json[];
    expect(data.map((m) => [m['seq'], m['role'], m['status']])).toEqual([
      [1, 'user', 'complete'],
      [2, 'assistant', 'complete'],
    ]);
    const page = await call(`/conversations/${id}/messages?limit=1`);
    expect(page.body).toMatchObject({ has_more: true, next_cursor: '1' });
    const intruder = await stack.tenant();
    expect((await call(`/conversations/${id}/messages`, { key: intruder.secret })).status).toBe(404);
  });

  it('shows the trace of an answer to its owner and a tenant admin, not to another user', async () => {
    const { id, messageId } = await conversationWithTurn();
    const trace = await call(`/conversations/${id}/messages/${messageId}/trace`);
    expect(trace.status).toBe(200);
    expect(trace.body).toMatchObject({ object: 'turn.trace', message_id: messageId, conversation_id: id });
    expect((trace.body['rounds'] as unknown[]).length).toBeGreaterThan(0);
    expect(trace.body['prompts']).toEqual({ variant: 'control', experiment: '*', versions: [] });

    const tenant = await stack.db.prisma.tenant.findUniqueOrThrow({ where: { id: key.tenantId } });
    const colleague = await stack.admin.createKey({ tenant: tenant.id, user: 'colleague' });
    expect(
      (await call(`/conversations/${id}/messages/${messageId}/trace`, { key: colleague.secret })).status,
    ).toBe(404);
    const admin = await stack.admin.createKey({
      tenant: tenant.id,
      user: 'admin',
      scopes: ['conversations', 'admin'],
    });
    expect(
      (await call(`/conversations/${id}/messages/${messageId}/trace`, { key: admin.secret })).status,
    ).toBe(200);
  });

  it('stores feedback once per user and message, with an audit event in the outbox', async () => {
    const { id, messageId } = await conversationWithTurn();
    const path = `/conversations/${id}/messages/${messageId}/feedback`;
    expect((await call(path, { method: 'POST', body: { rating: 'up' } })).body).toMatchObject({
      object: 'message.feedback',
      rating: 'up',
      comment: null,
    });
    expect(
      (await call(path, { method: 'POST', body: { rating: 'down', comment: 'too short' } })).body,
    ).toMatchObject({
      rating: 'down',
      comment: 'too short',
    });
    expect((await call(path, { method: 'POST', body: { rating: 'meh' } })).body).toMatchObject({
      error: { param: 'rating' },
    });
    const rows = await stack.db.prisma.messageFeedback.findMany({ where: { messageId } });
    expect(rows).toHaveLength(1);
    const audits = await stack.db.prisma.outboxEvent.findMany({
      where: { topic: 'llm.audit.v1', key: key.tenantId },
    });
    const feedbackAudits = audits.filter(
      (e) => (e.payload as { payload: { action: string } }).payload.action === 'message.feedback',
    );
    expect(feedbackAudits).toHaveLength(2);
    // The audit event records that a comment exists, never its words.
    expect(JSON.stringify(feedbackAudits)).not.toContain('too short');
  });

  it('serves the prompt variant a turn names, traces it and reports feedback per variant for one tenant', async () => {
    const own = await stack.tenant();
    const concise = await conversationWithTurn(own, 'concise');
    const control = await conversationWithTurn(own);
    const trace = await call(`/conversations/${concise.id}/messages/${concise.messageId}/trace`, {
      key: own.secret,
    });
    expect(trace.body['prompts']).toEqual({ variant: 'concise', experiment: '*', versions: ['concise@v1'] });
    const rounds = trace.body['rounds'] as Array<{
      prompt: Array<{ message: { content: Array<{ text: string }> } }>;
    }>;
    expect(rounds[0]?.prompt[0]?.message.content[0]?.text).toContain('Answer briefly and directly');
    const rate = (c: { id: string; messageId: string }, rating: string) =>
      call(`/conversations/${c.id}/messages/${c.messageId}/feedback`, {
        method: 'POST',
        body: { rating },
        key: own.secret,
      });
    expect((await rate(concise, 'up')).status).toBe(200);
    expect((await rate(control, 'down')).status).toBe(200);

    const report = new FeedbackReport(stack.db.prisma);
    const since = new Date(Date.now() - 3_600_000);
    expect(await report.byVariant(own.tenantId, since)).toEqual(
      expect.arrayContaining([
        { variant: 'concise', experiment: '*', up: 1, down: 0, upRate: 1 },
        { variant: 'control', experiment: '*', up: 0, down: 1, upRate: 0 },
      ]),
    );
    expect(await report.byVariant(own.tenantId, since)).toHaveLength(2);
    // Another tenant's report never counts these answers.
    expect(await report.byVariant(key.tenantId, since)).not.toContainEqual(
      expect.objectContaining({ variant: 'concise' }),
    );
  });

  it("refuses a prompt variant the model has none of, and a malformed one, in OpenAI's error shape", async () => {
    const send = (variant: string) =>
      fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'content-type': 'application/json',
          'hearth-prompt-variant': variant,
        },
        body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'Hi' }] }),
      });
    const unknown = await send('no-such-variant');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Json)['error']).toMatchObject({ type: 'invalid_request_error' });
    const malformed = await send('Not A Name');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json)['error']).toMatchObject({ param: 'Hearth-Prompt-Variant' });
  });

  it('switches memory on, lists, exports and deletes facts through the context service', async () => {
    const own = await stack.tenant();
    expect(
      (await call('/memory/settings', { method: 'PUT', body: { opt_in: true }, key: own.secret })).body,
    ).toEqual({
      object: 'memory.settings',
      opt_in: true,
    });
    const listed = await call('/memory/facts', { key: own.secret });
    expect(listed.body).toMatchObject({ object: 'list', data: [], opt_in: true });
    const exported = await call('/memory/export', { key: own.secret });
    expect(exported.body).toMatchObject({ object: 'memory.export', opt_in: true, facts: [] });
    const missing = await call('/memory/facts/00000000-0000-4000-8000-000000000000', {
      method: 'DELETE',
      key: own.secret,
    });
    expect(missing.status).toBe(404);
    expect(
      (await call('/memory/settings', { method: 'PUT', body: { opt_in: 'yes' }, key: own.secret })).status,
    ).toBe(400);
  });

  it('writes and edits memory facts for a user with memory on, and only their own', async () => {
    const own = await stack.tenant();
    const off = await call('/memory/facts', { method: 'POST', body: { text: 'Likes tea' }, key: own.secret });
    expect(off.status).toBe(422);
    await call('/memory/settings', { method: 'PUT', body: { opt_in: true }, key: own.secret });

    const created = await call('/memory/facts', {
      method: 'POST',
      body: { text: ' Likes tea ' },
      key: own.secret,
    });
    expect(created.body).toMatchObject({ object: 'memory.fact', text: 'Likes tea', source: 'user' });
    const id = (created.body as { id: string }).id;
    const edited = await call(`/memory/facts/${id}`, {
      method: 'PATCH',
      body: { text: 'Likes green tea' },
      key: own.secret,
    });
    expect(edited.body).toMatchObject({ id, text: 'Likes green tea' });
    const listed = await call('/memory/facts', { key: own.secret });
    expect((listed.body as { data: { text: string }[] }).data.map((f) => f.text)).toEqual([
      'Likes green tea',
    ]);

    const stranger = await stack.tenant();
    const foreign = await call(`/memory/facts/${id}`, {
      method: 'PATCH',
      body: { text: 'Hijacked' },
      key: stranger.secret,
    });
    expect(foreign.status).toBe(404);
    const empty = await call(`/memory/facts/${id}`, {
      method: 'PATCH',
      body: { text: '  ' },
      key: own.secret,
    });
    expect(empty.status).toBe(400);
    const long = await call('/memory/facts', {
      method: 'POST',
      body: { text: 'x'.repeat(501) },
      key: own.secret,
    });
    expect(long.status).toBe(400);
  });

  it("answers 404 for a tool call that is not the caller's or does not exist", async () => {
    const { id } = await conversationWithTurn();
    const res = await call(`/conversations/${id}/tool_calls/call_missing/approve`, {
      method: 'POST',
      body: {},
    });
    expect(res.status).toBe(404);
    // A NUL no stored call id can hold (PostgreSQL would refuse it in the query).
    const nul = await call(`/conversations/${id}/tool_calls/call_%00/approve`, { method: 'POST', body: {} });
    expect(nul.status).toBe(404);
    const intruder = await stack.tenant();
    const other = await call(`/conversations/${id}/tool_calls/call_missing/reject`, {
      method: 'POST',
      body: { reason: 'no' },
      key: intruder.secret,
    });
    expect(other.status).toBe(404);
  });
});
