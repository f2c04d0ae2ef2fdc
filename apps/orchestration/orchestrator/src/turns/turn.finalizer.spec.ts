import { commonV1, type contextV1 } from '@hearth/contracts';

import type { ContextClient } from '../clients/upstream.clients';
import { TurnSafetyLog } from './turn-safety.log';
import { StoredTurnFinalizer } from './turn.finalizer';
import { API_KEY_ID, capturingLogger, TENANT_ID, turnScope } from './turn.fixture';
import { failedOutcome } from './turn.outcome';
import type { FinishTurnInput, TurnStore } from './turn.store';

const { FinishReason } = commonV1;

const CONVERSATION_ID = '00000000-0000-4000-8000-0000000000c1';

/** The turn store's finish, in memory; `failWith` makes its first `failures` calls throw (default: every call). */
class InMemoryTurnStore implements Pick<TurnStore, 'finish'> {
  readonly finished: FinishTurnInput[] = [];
  calls = 0;

  constructor(
    private readonly failWith?: Error,
    private readonly failures = Infinity,
  ) {}

  finish(input: FinishTurnInput): Promise<boolean> {
    if (this.failWith && ++this.calls <= this.failures) return Promise.reject(this.failWith);
    this.finished.push(input);
    return Promise.resolve(true);
  }
}

/** What node-postgres raises while PostgreSQL is down. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** The context service's hot window, in memory. */
class InMemoryHotWindow implements Pick<ContextClient, 'appendMessages'> {
  readonly appended: contextV1.AppendMessagesRequest[] = [];

  appendMessages = (request: contextV1.AppendMessagesRequest): Promise<contextV1.AppendMessagesResponse> => {
    this.appended.push(request);
    return Promise.resolve({} as contextV1.AppendMessagesResponse);
  };
}

function setUp(store: InMemoryTurnStore, storeRetryMs?: number) {
  const { scope, events } = turnScope({
    request: {
      conversationId: CONVERSATION_ID,
      caller: { tenantId: TENANT_ID, userId: '00000000-0000-4000-8000-0000000000a1', apiKeyId: API_KEY_ID },
    },
  });
  Object.assign(scope.begun, { assistantMessageId: 'draft-1', assistantSeq: 2 });
  const hotWindow = new InMemoryHotWindow();
  const { logger, lines } = capturingLogger();
  const sut = new StoredTurnFinalizer(scope, new TurnSafetyLog(scope), {
    store,
    context: hotWindow,
    logger,
    maxToolRounds: 5,
    storeRetryMs,
  });
  return { sut, events, hotWindow, lines };
}

const answered = {
  finishReason: FinishReason.FINISH_REASON_STOP,
  text: 'It is 4.',
  toolCalls: [],
  status: 'complete' as const,
};

describe(StoredTurnFinalizer.name, () => {
  it('stores the final message and trace, appends the hot window, then sends finish', async () => {
    const store = new InMemoryTurnStore();
    const { sut, events, hotWindow } = setUp(store);

    await sut.finish(answered, {});

    expect(store.finished[0]?.message).toMatchObject({ status: 'complete', finishReason: 'stop' });
    expect(store.finished[0]?.assistantMessageId).toBe('draft-1');
    expect(hotWindow.appended[0]?.messages.map((m) => m.messageId)).toEqual(['draft-1']);
    expect(events.map((e) => Object.keys(e).filter((k) => e[k as keyof typeof e]))).toEqual([['finish']]);
  });

  it('still ends the stream with one finish, and logs, when the final write fails', async () => {
    const { sut, events, hotWindow, lines } = setUp(new InMemoryTurnStore(new Error('connection lost')));

    await sut.finish(answered, {});

    expect(events.filter((e) => e.finish)).toHaveLength(1);
    expect(events.filter((e) => e.error)).toHaveLength(0);
    expect(hotWindow.appended).toHaveLength(1);
    expect(lines()).toEqual([expect.objectContaining({ level: 'error', msg: 'turn finalization failed' })]);
  });

  it('retries a final write the database failed until it comes back, then sends finish', async () => {
    const store = new InMemoryTurnStore(refused(), 2);
    const { sut, events, lines } = setUp(store, 5_000);

    await sut.finish(answered, {});

    expect(store.calls).toBe(3);
    expect(store.finished[0]?.message).toMatchObject({
      status: 'complete',
      content: { content: 'It is 4.' },
    });
    expect(events.filter((e) => e.finish)).toHaveLength(1);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'turn finalization stored after the database came back',
      }),
    ]);
  });

  it('does not retry a final write the statement itself failed, nor past its retry time', async () => {
    const permanent = new InMemoryTurnStore(new TypeError('cannot read properties of undefined'));
    await setUp(permanent, 5_000).sut.finish(answered, {});
    expect(permanent.calls).toBe(1);

    const away = new InMemoryTurnStore(refused());
    const { sut, events, lines } = setUp(away, 250);
    await sut.finish(answered, {});
    expect(away.calls).toBeGreaterThan(1);
    expect(away.calls).toBeLessThan(5);
    expect(events.filter((e) => e.finish)).toHaveLength(1);
    expect(lines()).toEqual([expect.objectContaining({ level: 'error', msg: 'turn finalization failed' })]);
  });

  it('sends the error event instead of finish for a failed turn', async () => {
    const store = new InMemoryTurnStore();
    const { sut, events } = setUp(store);
    const error = {
      code: 13,
      reason: 'INTERNAL',
      message: 'the turn failed',
      partial: false,
      retryable: true,
    };

    await sut.finish(failedOutcome(error), {});

    expect(events).toEqual([{ error }]);
    expect(store.finished[0]?.message?.status).toBe('incomplete');
    expect(store.finished[0]?.trace.error).toEqual(error);
  });
});
