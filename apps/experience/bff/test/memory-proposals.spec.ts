// Memory facts proposed from conversations, end to end on the real stack (PostgreSQL, Redis, the
// orchestration plane, the tiny model): the tiny model's scripted reply is `{"facts": [FACT]}`, so
// the context service's JSON-schema-constrained proposal run after a turn proposes FACT every time.
// A proposed fact is listed with ?status=proposed, is NOT in what the model saw on the next turn
// (the stored turn trace) until the user approves it, then it is; approving another user's, an
// unknown or an already approved fact is refused; a user without memory on gets no proposal.
import { waitFor } from '@hearth/testing';

import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { scrapeMetrics } from './support/prometheus-text';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

jest.setTimeout(180_000);

type Json = Record<string, unknown>;

const FACT = 'I live in Lisbon';
// One token per word, each word unique (the tiny model is a bigram chain), no space the JSON
// grammar would have to allow: the model answers exactly this with and without the grammar.
const REPLY = '{"facts":["I live in Lisbon"]}';
/** ContextLayer.CONTEXT_LAYER_MEMORY as the trace stores it. */
const MEMORY_LAYER = 2;

interface TracedItem {
  message?: { content?: { text?: string }[] };
  provenance?: { layer?: number | string; sourceId?: string };
}

describe('Memory fact proposals', () => {
  let stack: Stack;

  const call = async (key: CreatedKey, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${stack.baseURL}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const facts = async (key: CreatedKey, query = '') =>
    (await call(key, `/memory/facts${query}`)).body['data'] as Json[];

  /** One chat turn in the conversation; returns the answer's message id. */
  const turn = async (key: CreatedKey, conversationId: string, content: string) => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const completion = (await client.chat.completions.create({
      model: MODEL_ID,
      messages: [{ role: 'user', content }],
      temperature: 0,
      conversation_id: conversationId,
    } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming)) as OpenAI.Chat.ChatCompletion & {
      message_id: string;
    };
    return completion.message_id;
  };
  const conversation = async (key: CreatedKey) =>
    (await call(key, '/conversations', { method: 'POST', body: { title: 'memory' } })).body['id'] as string;

  /** The memory items of what the model saw for an answer (the stored turn trace, every round). */
  const memorySeen = async (answerId: string) => {
    const trace = await stack.db.prisma.turnTrace.findUniqueOrThrow({ where: { messageId: answerId } });
    return (trace.promptInput as unknown as TracedItem[][])
      .flat()
      .filter((item) => [MEMORY_LAYER, 'CONTEXT_LAYER_MEMORY'].includes(item.provenance?.layer ?? ''))
      .map((item) => ({
        sourceId: item.provenance?.sourceId,
        text: (item.message?.content ?? []).map((part) => part.text ?? '').join(''),
      }));
  };

  /** Proposal runs that ended with `outcome`, read from the context service's /metrics. */
  const runs = async (outcome: string) => {
    const scrape = await scrapeMetrics(stack.metricsPorts['context-service']!);
    return (
      scrape.samples.get('hearth_memory_proposals_total')?.find((s) => s.labels['outcome'] === outcome)
        ?.value ?? 0
    );
  };

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      reply: REPLY,
      contextSize: 2048,
      metrics: true,
      contextEnv: { MEMORY_PROPOSAL_MIN_INTERVAL_MS: '0', CONTEXT_BUDGET_MEMORY_PERCENT: '30' },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('proposes a fact after a turn, keeps it out of the next turn’s context until approved, then uses it', async () => {
    const key = await stack.tenant();
    await call(key, '/memory/settings', { method: 'PUT', body: { opt_in: true } });
    const conversationId = await conversation(key);
    const nothingNew = await runs('nothing_new');

    await turn(key, conversationId, 'By the way, I live in Lisbon.');
    const [proposed] = await waitFor('a proposed fact', async () => {
      const listed = await facts(key, '?status=proposed');
      return listed.length > 0 && listed;
    });
    const userMessage = await stack.db.prisma.message.findFirstOrThrow({
      where: { conversationId, role: 'user' },
    });
    expect(proposed).toMatchObject({
      object: 'memory.fact',
      text: FACT,
      status: 'proposed',
      source: 'assistant',
      source_conversation_id: conversationId,
      source_message_id: userMessage.id,
    });
    const factId = proposed?.['id'] as string;
    // The default listing is of approved facts: the proposal is not among them.
    expect(await facts(key)).toEqual([]);

    const before = await turn(key, conversationId, 'What should I visit this weekend?');
    expect(await memorySeen(before)).toEqual([]);

    const approved = await call(key, `/memory/facts/${factId}/approve`, { method: 'POST' });
    expect(approved).toMatchObject({ status: 200, body: { id: factId, status: 'approved', text: FACT } });
    expect((await facts(key)).map((f) => f['id'])).toEqual([factId]);
    expect(await facts(key, '?status=proposed')).toEqual([]);

    const after = await turn(key, conversationId, 'And next weekend?');
    expect(await memorySeen(after)).toEqual([{ sourceId: factId, text: expect.stringContaining(FACT) }]);
    // The model proposed the same fact after every turn: it was stored once.
    await waitFor(
      'the later turns’ proposal runs',
      async () => (await runs('nothing_new')) >= nothingNew + 2,
    );
    expect(await stack.db.prisma.memoryFact.count({ where: { userId: key.userId } })).toBe(1);
  });

  it('refuses to approve another user’s or an unknown fact (404) and an approved one (422)', async () => {
    const owner = await stack.tenant();
    const stranger = await stack.tenant();
    await call(owner, '/memory/settings', { method: 'PUT', body: { opt_in: true } });
    await turn(owner, await conversation(owner), 'I live in Lisbon, as it happens.');
    const [proposed] = await waitFor('a proposed fact', async () => {
      const listed = await facts(owner, '?status=proposed');
      return listed.length > 0 && listed;
    });
    const factId = proposed?.['id'] as string;

    const foreign = await call(stranger, `/memory/facts/${factId}/approve`, { method: 'POST' });
    const unknown = await call(owner, '/memory/facts/00000000-0000-4000-8000-000000000000/approve', {
      method: 'POST',
    });
    const first = await call(owner, `/memory/facts/${factId}/approve`, { method: 'POST' });
    const twice = await call(owner, `/memory/facts/${factId}/approve`, { method: 'POST' });
    const badStatus = await call(owner, '/memory/facts?status=rejected');

    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(unknown.status).toBe(404);
    expect(first.status).toBe(200);
    expect(twice).toMatchObject({
      status: 422,
      body: { error: { code: 'failed_precondition', message: expect.stringMatching(/already approved/) } },
    });
    expect(badStatus).toMatchObject({ status: 400, body: { error: { param: 'status' } } });
    // A proposal is rejected by deleting it; the stranger sees nothing of the owner's.
    expect(await facts(stranger, '?status=proposed')).toEqual([]);
  });

  it('proposes nothing for a user without memory on', async () => {
    const key = await stack.tenant();
    const optedOut = await runs('opted_out');

    await turn(key, await conversation(key), 'I live in Lisbon.');

    // The run ended (the barrier), and it stored nothing, proposed or otherwise.
    await waitFor('the opted-out proposal run', async () => (await runs('opted_out')) > optedOut);
    expect(await stack.db.prisma.memoryFact.count({ where: { userId: key.userId } })).toBe(0);
    expect(await facts(key, '?status=proposed')).toEqual([]);
  });
});
