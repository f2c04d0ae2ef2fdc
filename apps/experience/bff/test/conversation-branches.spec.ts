// Branching end to end, with the real model: a conversation forked twice from the same user message
// (the question edited twice) has three branches; the next answer on each branch is assembled from
// that branch's ancestors only, asserted on the stored turn trace of what the model saw; switching
// branches changes what the message and item listings show; deleting an item takes it out of the
// branch and of the next context. Bad fork points and ids are refused (404 for another
// conversation's or tenant's message, 400 for a malformed id).
import type { CreatedKey } from '../src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

interface Json {
  [key: string]: unknown;
}

interface TraceItem {
  message: { content: { text?: string }[] };
  provenance: { source_id: string };
}

describe('Conversation branches', () => {
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

  const newConversation = async (owner: CreatedKey = key) =>
    (await call('/conversations', { method: 'POST', body: { title: 'branches' }, key: owner.secret })).body[
      'id'
    ] as string;

  const ask = (conversationId: string, text: string, parent?: string, owner: CreatedKey = key) =>
    call('/chat/completions', {
      method: 'POST',
      key: owner.secret,
      body: {
        model: MODEL_ID,
        messages: [{ role: 'user', content: text }],
        temperature: 0,
        max_tokens: 8,
        conversation_id: conversationId,
        ...(parent !== undefined && { parent_message_id: parent }),
      },
    });

  const messages = async (conversationId: string) =>
    (await call(`/conversations/${conversationId}/messages?limit=100`)).body['data'] as Json[];

  /** Runs a turn; its question's and answer's ids (the end of the now current branch). */
  const turn = async (conversationId: string, text: string, parent?: string) => {
    const answered = await ask(conversationId, text, parent);
    expect(answered.status).toBe(200);
    const branch = await messages(conversationId);
    const [question, answer] = branch.slice(-2);
    expect(answer?.['id']).toBe(answered.body['message_id']);
    expect(question?.['content']).toEqual({ content: text });
    return { question: question?.['id'] as string, answer: answer?.['id'] as string };
  };

  /** What the model saw for an answer: the ids of the stored messages in its prompt, and its text. */
  const seen = async (conversationId: string, answerId: string) => {
    const trace = await call(`/conversations/${conversationId}/messages/${answerId}/trace`);
    expect(trace.status).toBe(200);
    const prompt = ((trace.body['rounds'] as Json[])[0]?.['prompt'] ?? []) as TraceItem[];
    return {
      sources: prompt.map((item) => item.provenance.source_id),
      text: prompt.flatMap((item) => item.message.content.map((part) => part.text ?? '')).join('\n'),
    };
  };

  beforeAll(async () => {
    stack = await startStack({ orchestration: true });
    key = await stack.tenant('branches');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('forks twice from one question into three branches, each answered from its own ancestors only', async () => {
    const id = await newConversation();
    const first = await turn(id, 'My favourite colour is teal. Reply OK.');
    const apple = await turn(id, 'Tell me about the apple.');
    // The question edited twice: new questions whose parent is the edited one's parent.
    const banana = await turn(id, 'Tell me about the banana.', first.answer);
    const cherry = await turn(id, 'Tell me about the cherry.', first.answer);
    const root = [first.question, first.answer];

    // Each fork's answer saw the branch it forked from, never the question it replaced.
    for (const fork of [banana, cherry]) {
      const { sources, text } = await seen(id, fork.answer);
      expect(sources.filter((source) => [...root, apple.question, apple.answer].includes(source))).toEqual(
        root,
      );
      expect(text).not.toContain('Tell me about the apple.');
    }

    // Three branches: the current one lists the last fork, and the question has three alternatives.
    const listed = await messages(id);
    expect(listed.map((m) => m['id'])).toEqual([...root, cherry.question, cherry.answer]);
    expect(listed[2]).toMatchObject({
      parent_id: first.answer,
      sibling_ids: [apple.question, banana.question, cherry.question],
      sibling_index: 2,
    });
    expect(listed[0]).toMatchObject({ parent_id: null, sibling_ids: [first.question], sibling_index: 0 });

    // The next answer on each branch: by switching to it (apple), naming its end (banana), or
    // continuing the current branch (cherry, current again after the switch back).
    const branches = { apple, banana, cherry } as const;
    const next: Record<string, { question: string; answer: string }> = {};
    const switched = await call(`/conversations/${id}/branch`, {
      method: 'POST',
      body: { message_id: apple.question },
    });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({
      object: 'conversation.branch',
      current_message_id: apple.answer,
      message_ids: [...root, apple.question, apple.answer],
    });
    next['apple'] = await turn(id, 'And what colour is it?');
    next['banana'] = await turn(id, 'And what colour is it?', banana.answer);
    await call(`/conversations/${id}/branch`, { method: 'POST', body: { message_id: cherry.answer } });
    next['cherry'] = await turn(id, 'And what colour is it?');

    for (const [name, fork] of Object.entries(branches)) {
      const answered = next[name] as { question: string; answer: string };
      const ancestors = [...root, fork.question, fork.answer];
      const { sources, text } = await seen(id, answered.answer);
      const stored = Object.values(branches).flatMap((b) => [b.question, b.answer]);
      expect(sources.filter((source) => [...root, ...stored].includes(source))).toEqual(ancestors);
      for (const sibling of Object.keys(branches).filter((other) => other !== name)) {
        expect(text).not.toContain(`Tell me about the ${sibling}.`);
      }
      expect(text).toContain(`Tell me about the ${name}.`);
    }
  });

  it('lists messages and items along the branch a switch makes current', async () => {
    const id = await newConversation();
    const first = await turn(id, 'Say one.');
    const left = await turn(id, 'Say left.');
    const right = await turn(id, 'Say right.', first.answer);

    const itemIds = async () =>
      ((await call(`/conversations/${id}/items?order=asc`)).body['data'] as Json[]).map((item) => item['id']);
    expect(await itemIds()).toEqual([first.question, first.answer, right.question, right.answer]);

    await call(`/conversations/${id}/branch`, { method: 'POST', body: { message_id: first.question } });
    // The newest descendant of the first question is the end of the right branch.
    expect(await itemIds()).toEqual([first.question, first.answer, right.question, right.answer]);
    await call(`/conversations/${id}/branch`, { method: 'POST', body: { message_id: left.question } });
    expect(await itemIds()).toEqual([first.question, first.answer, left.question, left.answer]);
    expect((await messages(id)).map((m) => m['id'])).toEqual([
      first.question,
      first.answer,
      left.question,
      left.answer,
    ]);
    // Paging by item id stays on the branch.
    const page = await call(`/conversations/${id}/items?order=asc&limit=2&after=${first.answer}`);
    expect((page.body['data'] as Json[]).map((item) => item['id'])).toEqual([left.question, left.answer]);
    // An item of the other branch is not a cursor of this listing.
    expect((await call(`/conversations/${id}/items?after=${right.question}`)).status).toBe(400);
  });

  it('deletes an item: it leaves the branch, its children re-attach, and the next context lacks it', async () => {
    const id = await newConversation();
    const first = await turn(id, 'Remember the word walnut. Reply OK.');
    const second = await turn(id, 'Remember the word pebble. Reply OK.');

    const deleted = await call(`/conversations/${id}/items/${second.question}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id, object: 'conversation' });
    const listed = await messages(id);
    expect(listed.map((m) => m['id'])).toEqual([first.question, first.answer, second.answer]);
    expect(listed[2]).toMatchObject({ parent_id: first.answer });
    expect((await call(`/conversations/${id}/items/${second.question}`)).status).toBe(404);

    const third = await turn(id, 'Which words did I ask you to remember?');
    const { sources, text } = await seen(id, third.answer);
    expect(sources).not.toContain(second.question);
    expect(text).not.toContain('Remember the word pebble.');
    expect(sources.filter((s) => [first.question, first.answer, second.answer].includes(s))).toEqual([
      first.question,
      first.answer,
      second.answer,
    ]);

    // Deleting again, an unknown id, another tenant's item: 404 in OpenAI's shape.
    expect((await call(`/conversations/${id}/items/${second.question}`, { method: 'DELETE' })).status).toBe(
      404,
    );
    const unknown = await call(`/conversations/${id}/items/msg_unknown`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'not_found' } });
    const stranger = await stack.tenant();
    expect(
      (await call(`/conversations/${id}/items/${first.question}`, { method: 'DELETE', key: stranger.secret }))
        .status,
    ).toBe(404);
    expect((await messages(id)).map((m) => m['id'])).toContain(first.question);
  });

  it('refuses a fork point of another conversation or tenant (404) and a malformed one (400)', async () => {
    const id = await newConversation();
    const other = await newConversation();
    const foreign = await turn(other, 'Say other.');
    const stranger = await stack.tenant();
    const strangers = await newConversation(stranger);
    const theirs = await ask(strangers, 'Say theirs.', undefined, stranger);
    expect(theirs.status).toBe(200);

    const fromOther = await ask(id, 'Fork?', foreign.answer);
    expect(fromOther.status).toBe(404);
    expect(fromOther.body).toMatchObject({ error: { code: 'not_found' } });
    expect((await ask(id, 'Fork?', theirs.body['message_id'] as string)).status).toBe(404);
    const malformed = await ask(id, 'Fork?', 'not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { param: 'parent_message_id' } });
    const withoutConversation = await call('/chat/completions', {
      method: 'POST',
      body: {
        model: MODEL_ID,
        messages: [{ role: 'user', content: 'x' }],
        parent_message_id: foreign.answer,
      },
    });
    expect(withoutConversation.status).toBe(400);
    // Nothing was stored by the refused forks.
    expect(await messages(id)).toEqual([]);

    const branch = (messageId: string, owner: CreatedKey = key) =>
      call(`/conversations/${id}/branch`, {
        method: 'POST',
        body: { message_id: messageId },
        key: owner.secret,
      });
    expect((await branch(foreign.answer)).status).toBe(404);
    expect((await branch('not-a-uuid')).body).toMatchObject({ error: { param: 'message_id' } });
    expect((await branch(foreign.answer, stranger)).status).toBe(404);
  });
});
