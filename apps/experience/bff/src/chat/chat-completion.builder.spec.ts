// RunTurn events → OpenAI chunks and completions: role chunk first, tool-call deltas with index (id,
// type and name only on a call's first fragment), finish reasons, usage only when asked; the
// extensions: citations on the message or the finish chunk, tool progress as a choiceless chunk.
import { commonV1, orchestratorV1 } from '@hearth/contracts';

import { ChatCompletionBuilder } from './chat-completion.builder';

const started: orchestratorV1.TurnStarted = {
  turnId: '11111111-2222-3333-4444-555555555555',
  conversationId: '',
  requestId: 'req_1',
  inputMessageIds: [],
  assistantMessageId: '',
  model: 'tiny',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  replayed: false,
  parentMessageId: '',
};

describe(ChatCompletionBuilder.name, () => {
  it('streams a role chunk, content, tool-call fragments and a finish chunk', () => {
    const sut = new ChatCompletionBuilder({
      includeUsage: false,
      singleToolCall: false,
      requestedModel: 'fast',
    });
    const first = sut.start(started);
    expect(first).toMatchObject({
      id: 'chatcmpl-11111111222233334444555555555555',
      object: 'chat.completion.chunk',
      created: 1767225600,
      model: 'tiny',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    expect(first).not.toHaveProperty('usage');
    expect(sut.content('')).toBeUndefined();
    expect(sut.content('Hi')?.choices[0]?.delta).toEqual({ content: 'Hi' });
    const head = sut.toolCall({ index: 0, id: 'call_1', name: 'f', argumentsFragment: '{"a"' });
    expect(head?.choices[0]?.delta.tool_calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } },
    ]);
    const tail = sut.toolCall({ index: 0, id: '', name: '', argumentsFragment: ':1}' });
    expect(tail?.choices[0]?.delta.tool_calls).toEqual([{ index: 0, function: { arguments: ':1}' } }]);
    const [finish, ...rest] = sut.finish(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(rest).toEqual([]);
    expect(sut.completion().choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'Hi',
      refusal: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      annotations: [],
    });
  });

  it('adds usage: null to every chunk and a usage chunk last when include_usage is set', () => {
    const sut = new ChatCompletionBuilder({
      includeUsage: true,
      singleToolCall: false,
      requestedModel: 'fast',
    });
    expect(sut.start(started).usage).toBeNull();
    sut.usage = { promptTokens: 5, completionTokens: 3, totalTokens: 8, cachedPromptTokens: 2 };
    const chunks = sut.finish(commonV1.FinishReason.FINISH_REASON_CONTENT_FILTER);
    expect(chunks[0]?.choices[0]?.finish_reason).toBe('content_filter');
    expect(chunks[1]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 5,
        completion_tokens: 3,
        total_tokens: 8,
        prompt_tokens_details: { cached_tokens: 2 },
      },
    });
  });

  it('passes only the first tool call on when parallel_tool_calls is false', () => {
    const sut = new ChatCompletionBuilder({
      includeUsage: false,
      singleToolCall: true,
      requestedModel: 'fast',
    });
    sut.start(started);
    expect(sut.toolCall({ index: 1, id: 'call_2', name: 'g', argumentsFragment: '{}' })).toBeUndefined();
    sut.finish(commonV1.FinishReason.FINISH_REASON_STOP);
    expect(sut.completion().choices[0]?.message.content).toBe('');
  });

  describe('extensions', () => {
    const citations: orchestratorV1.TurnCitations = {
      status: orchestratorV1.GroundingStatus.GROUNDING_STATUS_GROUNDED,
      citations: [
        {
          marker: 1,
          chunkId: 'c1',
          fileId: 'f1',
          fileName: 'guide.md',
          page: 0,
          position: 2,
          excerpt: 'Brass lanterns…',
          startOffset: 10,
          endOffset: 90,
          attributed: false,
          answerOffset: 0,
        },
      ],
      droppedMarkers: [7],
      retrievedChunks: 3,
      unavailableFiles: [],
    };
    const expected = {
      citations: [
        {
          marker: 1,
          file_id: 'f1',
          filename: 'guide.md',
          chunk_id: 'c1',
          page: null,
          position: 2,
          excerpt: 'Brass lanterns…',
          start_offset: 10,
          end_offset: 90,
          attributed: false,
          answer_offset: null,
        },
      ],
      grounding: { status: 'grounded', retrieved_chunks: 3, dropped_markers: [7], unavailable_files: [] },
    };

    it('puts the citations on the message and on the finish chunk only', () => {
      const sut = new ChatCompletionBuilder({
        includeUsage: true,
        singleToolCall: false,
        requestedModel: 'tiny',
      });
      sut.start(started);
      expect(sut.content('See [1]')).not.toHaveProperty('citations');
      sut.citations(citations);
      const [finish, usage] = sut.finish(commonV1.FinishReason.FINISH_REASON_STOP);
      expect(finish).toMatchObject(expected);
      expect(usage).not.toHaveProperty('citations');
      expect(sut.completion().choices[0]?.message).toMatchObject({ content: 'See [1]', ...expected });
    });

    it('leaves OpenAI’s shapes untouched without retrieval', () => {
      const sut = new ChatCompletionBuilder({
        includeUsage: false,
        singleToolCall: false,
        requestedModel: 'tiny',
      });
      sut.start(started);
      expect(sut.finish(commonV1.FinishReason.FINISH_REASON_STOP)[0]).not.toHaveProperty('citations');
      expect(sut.completion().choices[0]?.message).not.toHaveProperty('grounding');
    });

    it('sends a server tool’s progress as a chunk without choices', () => {
      const sut = new ChatCompletionBuilder({
        includeUsage: false,
        singleToolCall: false,
        requestedModel: 'tiny',
      });
      sut.start(started);
      const chunk = sut.toolProgress({
        toolCallId: 'call_9',
        toolName: 'calculator',
        stage: orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION,
        round: 1,
        message: 'calculator waits for your approval',
        elapsed: { seconds: 1, nanos: 500_000_000 },
      });
      expect(chunk).toMatchObject({
        object: 'chat.completion.chunk',
        choices: [],
        hearth_tool_progress: {
          tool_call_id: 'call_9',
          name: 'calculator',
          stage: 'pending_confirmation',
          round: 1,
          message: 'calculator waits for your approval',
          elapsed_ms: 1500,
        },
      });
    });
  });
});
