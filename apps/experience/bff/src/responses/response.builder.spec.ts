import { commonV1, orchestratorV1 } from '@hearth/contracts';

import { ResponseBuilder } from './response.builder';

const STARTED: orchestratorV1.TurnStarted = {
  turnId: '0b5f4c1e-8f0e-4a44-9a52-2d7f4c3e1a10',
  conversationId: '',
  requestId: 'req-1',
  inputMessageIds: [],
  assistantMessageId: '',
  model: 'tiny',
  createdAt: new Date('2026-12-06T12:00:00Z'),
  replayed: false,
  parentMessageId: '',
};

const delta = (index: number, id: string, name: string, fragment: string): commonV1.ToolCallDelta => ({
  index,
  id,
  name,
  argumentsFragment: fragment,
});

function started(extra: Partial<ConstructorParameters<typeof ResponseBuilder>[0]> = {}): ResponseBuilder {
  const sut = new ResponseBuilder({ model: 'tiny', input: 'Hi', ...extra });
  sut.start(STARTED);
  return sut;
}

describe(ResponseBuilder.name, () => {
  it('takes its id and creation time from the turn, so a replayed turn keeps them', () => {
    const sut = started();

    expect(sut.response.id).toBe('resp_0b5f4c1e8f0e4a449a522d7f4c3e1a10');
    expect(sut.response.created_at).toBe(Date.parse('2026-12-06T12:00:00Z') / 1000);
  });

  it('numbers every event in order across items', () => {
    const sut = new ResponseBuilder({ model: 'tiny', input: 'Hi' });

    const events = [
      ...sut.start(STARTED),
      ...sut.content('Hel'),
      ...sut.content('lo'),
      ...sut.toolCall(delta(0, 'call_1', 'f', '{}')),
      ...sut.finish(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS),
    ];

    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it.each([
    [commonV1.FinishReason.FINISH_REASON_LENGTH, 'max_output_tokens'],
    [commonV1.FinishReason.FINISH_REASON_CONTENT_FILTER, 'content_filter'],
  ])('ends incomplete on finish reason %s with reason %s', (reason, expected) => {
    const sut = started();
    sut.content('Partial');

    const events = sut.finish(reason);

    expect(events[events.length - 1]?.type).toBe('response.incomplete');
    expect(sut.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: expected } });
    expect(sut.response.output[0]?.status).toBe('incomplete');
  });

  it('fails with the error and closes the open items as incomplete', () => {
    const sut = started();
    sut.content('Partial');

    const events = sut.fail('The model went away.');

    expect(events[events.length - 1]).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'server_error', message: 'The model went away.' } },
    });
    expect(sut.response.output[0]?.status).toBe('incomplete');
  });

  it('passes on only the first call with parallel_tool_calls false', () => {
    const sut = started({ parallel_tool_calls: false });

    sut.toolCall(delta(0, 'call_1', 'a', '{}'));
    const second = sut.toolCall(delta(1, 'call_2', 'b', '{}'));
    sut.finish(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);

    expect(second).toEqual([]);
    expect(sut.response.output).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'call_1' }),
    ]);
  });

  const atlasCitation = (attributed: { answerOffset: number } | undefined): orchestratorV1.TurnCitations => ({
    status: orchestratorV1.GroundingStatus.GROUNDING_STATUS_GROUNDED,
    citations: [
      {
        marker: 1,
        chunkId: 'c1',
        fileId: 'file-1',
        fileName: 'atlas.txt',
        page: 0,
        position: 0,
        excerpt: 'Paris…',
        startOffset: 0,
        endOffset: 5,
        attributed: attributed !== undefined,
        answerOffset: attributed?.answerOffset ?? 0,
      },
    ],
    droppedMarkers: [],
    retrievedChunks: 1,
    unavailableFiles: [],
  });

  it("annotates the output text with a file_citation at each source's marker", () => {
    const sut = started();
    sut.content('Paris is the capital [1].');
    sut.citationsOf(atlasCitation(undefined));

    sut.finish(commonV1.FinishReason.FINISH_REASON_STOP);

    const message = sut.response.output[0];
    if (message?.type !== 'message') throw new Error('expected a message');
    expect(message.content[0]?.annotations).toEqual([
      { type: 'file_citation', file_id: 'file-1', filename: 'atlas.txt', index: 21 },
    ]);
  });

  it('puts the file_citation of an attributed source at the end of the sentence it supports', () => {
    const sut = started();
    sut.content('Paris is the capital of France. Ask me more.');
    sut.citationsOf(atlasCitation({ answerOffset: 31 }));

    sut.finish(commonV1.FinishReason.FINISH_REASON_STOP);

    const message = sut.response.output[0];
    if (message?.type !== 'message') throw new Error('expected a message');
    expect(message.content[0]?.annotations).toEqual([
      { type: 'file_citation', file_id: 'file-1', filename: 'atlas.txt', index: 31 },
    ]);
  });

  it('gives the output back as one assistant chat message for the next turn of a chain', () => {
    const sut = started();
    sut.content('Let me check.');
    sut.toolCall(delta(0, 'call_1', 'f', '{"a":'));
    sut.toolCall(delta(0, '', '', '1}'));

    expect(sut.outputMessages()).toEqual([
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
    ]);
  });
});
