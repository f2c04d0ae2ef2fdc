// A background chat completion's fold: chunks numbered from 0 for a new turn; after a take-over, a
// replay (event by event while the turn runs, its whole answer at once once it finished) yields only
// what the log lacks, numbered on from it: the rest of the text, the rest of a tool call's arguments
// as a fragment, the finish; a failure ends the turn with the error body.
import { commonV1, type orchestratorV1 } from '@hearth/contracts';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import type { StoredChatTurn } from './background-chat.store';
import { BackgroundChatTurn, type ChatStreamEvent } from './background-chat.turn';

const started: orchestratorV1.TurnStarted = {
  turnId: '11111111-2222-3333-4444-555555555555',
  conversationId: '66666666-7777-8888-9999-000000000000',
  requestId: 'req_1',
  inputMessageIds: [],
  assistantMessageId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  model: 'tiny',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  replayed: false,
  parentMessageId: '',
};
const caller = { tenantId: 't', userId: 'u' } as AuthenticatedCaller;
const turn: Omit<StoredChatTurn, 'status' | 'completion'> = {
  tenantId: 't',
  userId: 'u',
  request: {} as orchestratorV1.RunTurnRequest,
  options: { includeUsage: false, singleToolCall: false, requestedModel: 'fast' },
  turnId: '',
};
const content = (text: string): orchestratorV1.RunTurnResponse => ({ content: { text } }) as never;
const finish = (finishReason = commonV1.FinishReason.FINISH_REASON_STOP): orchestratorV1.RunTurnResponse =>
  ({ finish: { finishReason } }) as never;
const toolCall = (argumentsFragment: string): orchestratorV1.RunTurnResponse =>
  ({ toolCall: { index: 0, id: 'call_1', name: 'f', argumentsFragment } }) as never;
const start = { started: { ...started, replayed: true } } as orchestratorV1.RunTurnResponse;

/** In-memory stand-in for the Redis store: the last saved state per id. */
class SavedTurns {
  readonly saved = new Map<string, StoredChatTurn>();
  save(id: string, value: StoredChatTurn): Promise<void> {
    this.saved.set(id, value);
    return Promise.resolve();
  }
}

const run = (sut: BackgroundChatTurn, events: orchestratorV1.RunTurnResponse[]) =>
  events.flatMap((event) => sut.apply(event));
const deltas = (events: ChatStreamEvent[]) =>
  events.map(({ sequence_number, data }) => [
    sequence_number,
    'error' in data ? data.error.message : data.choices[0]?.delta,
  ]);

describe(BackgroundChatTurn.name, () => {
  it('numbers the chunks of a new turn from 0 and stores it completed with the whole answer', async () => {
    const store = new SavedTurns();
    const sut = new BackgroundChatTurn(store, caller, { ...turn });

    const events = run(sut, [{ started } as never, content('Hel'), content('lo'), finish()]);

    expect(deltas(events)).toEqual([
      [0, { role: 'assistant', content: '', refusal: null }],
      [1, { content: 'Hel' }],
      [2, { content: 'lo' }],
      [3, {}],
    ]);
    expect(sut.id).toBe('chatcmpl-11111111222233334444555555555555');
    expect(sut.ended).toBe(true);
    await sut.save();
    expect(store.saved.get(sut.id)).toMatchObject({
      status: 'completed',
      turnId: started.turnId,
      completion: { choices: [{ message: { content: 'Hello' }, finish_reason: 'stop' }] },
    });
  });

  it('passes on only what follows the log when a running turn is replayed event by event', () => {
    const first = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn });
    const logged = run(first, [{ started } as never, content('Hel')]);
    const sut = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn }, logged);

    const events = run(sut, [start, content('Hel'), content('lo'), finish()]);

    expect(deltas(events)).toEqual([
      [2, { content: 'lo' }],
      [3, {}],
    ]);
  });

  it("passes on the rest of the text when a finished turn's replay is its whole answer", () => {
    const first = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn });
    const logged = run(first, [{ started } as never, content('Hel'), content('lo')]);
    const sut = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn }, logged);

    const events = run(sut, [
      start,
      content('Hello world'),
      finish(commonV1.FinishReason.FINISH_REASON_LENGTH),
    ]);

    expect(deltas(events)).toEqual([
      [3, { content: ' world' }],
      [4, {}],
    ]);
    expect(sut.snapshot().choices[0]?.message.content).toBe('Hello world');
  });

  it("passes on the rest of a logged tool call's arguments as a fragment, without its id or name", () => {
    const first = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn });
    const logged = run(first, [{ started } as never, toolCall('{"a"')]);
    const sut = new BackgroundChatTurn(new SavedTurns(), caller, { ...turn }, logged);

    const events = run(sut, [
      start,
      toolCall('{"a":1}'),
      finish(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS),
    ]);

    expect(deltas(events)).toEqual([
      [2, { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }],
      [3, {}],
    ]);
  });

  it('ends a failed turn with the error body, stored as failed', async () => {
    const store = new SavedTurns();
    const sut = new BackgroundChatTurn(store, caller, { ...turn });
    run(sut, [{ started } as never, content('Hi')]);

    const events = sut.fail(new ApiError(503, 'The turn ended without a result.'));

    expect(deltas(events)).toEqual([[2, 'The turn ended without a result.']]);
    await sut.save();
    expect(store.saved.get(sut.id)?.status).toBe('failed');
  });

  it('stores a cancelled turn as cancelled', async () => {
    const store = new SavedTurns();
    const sut = new BackgroundChatTurn(store, caller, { ...turn });

    run(sut, [{ started } as never, content('Hi'), finish(commonV1.FinishReason.FINISH_REASON_CANCELLED)]);

    await sut.save();
    expect(store.saved.get(sut.id)).toMatchObject({
      status: 'cancelled',
      completion: { choices: [{ message: { content: 'Hi' } }] },
    });
  });
});
