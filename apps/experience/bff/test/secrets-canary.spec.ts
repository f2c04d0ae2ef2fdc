// Secrets never leave through logs or events: a canary API key, the caller's real key, a password and a
// card number are sent through every public path that takes text (a wrong key, chat completions
// streamed and not, a tool result, the Responses API with instructions, conversation metadata and title,
// a memory fact, embeddings, an uploaded file, a request refused as invalid), with every service of the
// platform (worker, gateway, safety, context, tool runner, orchestrator, BFF) running as a process at
// LOG_LEVEL debug. Then every line each process printed and every record on the usage and audit topics
// is searched for the canaries: none may appear.
import { randomBytes, randomInt } from 'node:crypto';

import { AUDIT_TOPIC, USAGE_TOPIC } from '@hearth/events';
import { consumeTopicRecords, waitFor, type TopicRecords } from '@hearth/testing';

import OpenAI, { toFile } from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

jest.setTimeout(240_000);

/** A Luhn-valid 16-digit card number no real card has (random, so no earlier run's output matches). */
function canaryCardNumber(): string {
  const digits = [4, 0, 0, 0, ...Array.from({ length: 11 }, () => randomInt(10))];
  const sum = digits
    .slice()
    .reverse()
    .reduce((acc, digit, i) => acc + (i % 2 === 0 ? (digit * 2 > 9 ? digit * 2 - 9 : digit * 2) : digit), 0);
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

describe('secrets canary: logs and Kafka payloads', () => {
  let stack: Stack;
  let topics: TopicRecords;
  let key: CreatedKey;
  const fakeKey = `sk-hearth-${randomBytes(24).toString('hex')}`;
  const password = `Canary-pw-${randomBytes(6).toString('hex')}`;
  const card = canaryCardNumber();
  const said = `My password is ${password} and my card is ${card}.`;

  beforeAll(async () => {
    topics = await consumeTopicRecords([USAGE_TOPIC.name, AUDIT_TOPIC.name]);
    stack = await startStack({ orchestration: true, bffProcess: true, logLevel: 'debug', contextSize: 2048 });
    key = await stack.tenant('canary');
  });

  afterAll(async () => {
    await stack?.close();
    await topics?.close();
  });

  const call = (path: string, init: { method?: string; body?: unknown; secret?: string } = {}) =>
    fetch(`${stack.baseURL}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.secret ?? key.secret}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  it('sends the canaries through every path that takes text', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });

    expect((await call('/models', { secret: fakeKey })).status).toBe(401);

    await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: said }] });
    const conversation = (await (
      await call('/conversations', { method: 'POST', body: { metadata: { note: said.slice(0, 100) } } })
    ).json()) as { id: string };
    const stream = await client.chat.completions.create({
      model: MODEL_ID,
      stream: true,
      messages: [
        { role: 'system', content: `Never repeat ${password}.` },
        { role: 'user', content: said },
      ],
      conversation_id: conversation.id,
    } as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
    for await (const chunk of stream) void chunk;
    await client.chat.completions.create({
      model: MODEL_ID,
      messages: [
        { role: 'user', content: 'Look up my account.' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: said },
      ],
      tools: [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      ],
    });
    await client.responses.create({ model: MODEL_ID, instructions: `Keep ${password} secret.`, input: said });

    expect(
      (
        await call(`/conversations/${conversation.id}`, {
          method: 'PATCH',
          body: { title: said.slice(0, 100) },
        })
      ).status,
    ).toBe(200);
    await call('/memory/settings', { method: 'PUT', body: { opt_in: true } });
    expect((await call('/memory/facts', { method: 'POST', body: { text: said } })).status).toBe(200);
    await client.embeddings.create({ model: MODEL_ID, input: said });
    const file = await client.files.create({
      file: await toFile(Buffer.from(`# Account\n\n${said}\n`), 'account.md', { type: 'text/markdown' }),
      purpose: 'user_data',
    });
    await waitFor('the file ingested', async () => {
      const status = (await client.files.retrieve(file.id)) as { processing_status?: string };
      return status.processing_status === 'ready' || status.processing_status === 'failed';
    });
    const invalid = await call('/chat/completions', {
      method: 'POST',
      body: { model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], temperature: said },
    });
    expect(invalid.status).toBe(400);

    // The turns' usage events went out: the audit and usage records of these requests are in.
    await waitFor('usage events of the turns', () =>
      topics.records.some((r) => r.topic === USAGE_TOPIC.name && r.value.includes(key.tenantId)),
    );
  });

  it('finds no canary in any line any process printed', () => {
    const logs = stack.services.map((service) => ({ app: service.app, log: service.fullLog }));
    expect(logs.map((l) => l.app)).toEqual(expect.arrayContaining(['bff', 'orchestrator', 'safety-service']));
    // The debug level was on: the processes did log these requests.
    expect(logs.reduce((lines, l) => lines + l.log.split('\n').length, 0)).toBeGreaterThan(50);
    const leaks = logs.flatMap(({ app, log }) =>
      log
        .split('\n')
        .filter((line) => [fakeKey, key.secret, password, card].some((canary) => line.includes(canary)))
        .map((line) => `${app}: ${line.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('finds no canary in any usage or audit record', () => {
    // Both topics carried this tenant's records (usage per turn, audit of safety decisions and changes).
    const own = topics.records.filter((r) => r.value.includes(key.tenantId));
    expect(new Set(own.map((r) => r.topic))).toEqual(new Set([USAGE_TOPIC.name, AUDIT_TOPIC.name]));
    const leaks = topics.records.filter((r) =>
      [fakeKey, key.secret, password, card].some((canary) => r.value.includes(canary)),
    );
    expect(leaks.map((r) => `${r.topic}: ${r.value.slice(0, 300)}`)).toEqual([]);
  });
});
