// Owns OpenAI's output shapes of a chat turn: it folds the orchestrator's RunTurn events into
// `chat.completion.chunk` objects (role chunk, content deltas, tool-call deltas with index, finish
// chunk, optional usage chunk) or, for non-streaming requests, one `chat.completion` object. The
// extensions ride on OpenAI's shapes as extra properties (which OpenAI's schemas and SDKs tolerate):
// `citations`/`grounding` on the message (non-streaming) or on the finish chunk (streaming), and
// server tool progress as chunks with `choices: []` and `hearth_tool_progress`, the request's cost as
// `hearth_cost` on the usage chunk.
import { commonV1, orchestratorV1 } from '@hearth/contracts';

import { toHearthCost, type HearthCost } from '../http/cost.headers';
import { toUnixSeconds } from '../http/timestamps';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export interface ToolCallChunk {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChunkChoice {
  index: 0;
  delta: { role?: 'assistant'; content?: string | null; refusal?: null; tool_calls?: ToolCallChunk[] };
  logprobs: null;
  finish_reason: FinishReason | null;
}

/**
 * Extension: one source of a grounded answer, cited in the text as `[marker]`, or attributed by the
 * platform when the answer wrote no marker (then `answer_offset` is where the supported sentence ends).
 */
export interface Citation {
  marker: number;
  file_id: string;
  filename: string;
  chunk_id: string;
  /** 1-based page, null when the file has no pages. */
  page: number | null;
  /** 0-based position of the chunk within its file. */
  position: number;
  excerpt: string;
  start_offset: number;
  end_offset: number;
  /** True when the answer wrote no marker and the platform attributed the source to a sentence. */
  attributed: boolean;
  /** Attributed only: offset in the answer just after the sentence the source supports. */
  answer_offset: number | null;
}

/** Extension: how a request with retrieval was grounded. */
export interface Grounding {
  status: 'grounded' | 'files_not_ready' | 'files_failed' | 'no_sources';
  retrieved_chunks: number;
  /** Markers the answer wrote that named no retrieved chunk (left out of citations). */
  dropped_markers: number[];
  unavailable_files: { file_id: string; status: 'processing' | 'failed'; reason: string | null }[];
}

/** Extension: progress of a tool the server runs inside the turn. */
export interface ToolProgressEvent {
  tool_call_id: string;
  name: string;
  stage: 'started' | 'pending_confirmation' | 'succeeded' | 'failed' | 'rejected';
  round: number;
  message: string;
  elapsed_ms: number;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: ChunkChoice[];
  usage?: CompletionUsage | null;
  /** Extension (finish chunk of a request with retrieval). */
  citations?: Citation[];
  grounding?: Grounding;
  /** Extension (a chunk of its own, `choices: []`). */
  hearth_tool_progress?: ToolProgressEvent;
  /** Extension (the usage chunk): what the request cost. */
  hearth_cost?: HearthCost;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
      annotations: [];
      /** Extension: the sources cited (only with retrieval). */
      citations?: Citation[];
      /** Extension: how the answer was grounded (only with retrieval). */
      grounding?: Grounding;
    };
    logprobs: null;
    finish_reason: FinishReason;
  }[];
  usage: CompletionUsage;
  /** Extension: the conversation the turn was stored in (only with conversation_id). */
  conversation_id?: string;
  /** Extension: the stored assistant message (only with conversation_id). */
  message_id?: string;
}

const FINISH: Partial<Record<commonV1.FinishReason, FinishReason>> = {
  [commonV1.FinishReason.FINISH_REASON_STOP]: 'stop',
  [commonV1.FinishReason.FINISH_REASON_LENGTH]: 'length',
  [commonV1.FinishReason.FINISH_REASON_TOOL_CALLS]: 'tool_calls',
  [commonV1.FinishReason.FINISH_REASON_CONTENT_FILTER]: 'content_filter',
  // A cancelled turn that still finished (e.g. CancelTurn from another tab) ends like a stop.
  [commonV1.FinishReason.FINISH_REASON_CANCELLED]: 'stop',
};

const GROUNDING: Record<number, Grounding['status']> = {
  [orchestratorV1.GroundingStatus.GROUNDING_STATUS_GROUNDED]: 'grounded',
  [orchestratorV1.GroundingStatus.GROUNDING_STATUS_FILES_NOT_READY]: 'files_not_ready',
  [orchestratorV1.GroundingStatus.GROUNDING_STATUS_FILES_FAILED]: 'files_failed',
  [orchestratorV1.GroundingStatus.GROUNDING_STATUS_NO_SOURCES]: 'no_sources',
};

const TOOL_STAGE: Record<number, ToolProgressEvent['stage']> = {
  [orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED]: 'started',
  [orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION]: 'pending_confirmation',
  [orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED]: 'succeeded',
  [orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_FAILED]: 'failed',
  [orchestratorV1.ToolProgressStage.TOOL_PROGRESS_STAGE_REJECTED]: 'rejected',
};

export function toCitations(event: orchestratorV1.TurnCitations): {
  citations: Citation[];
  grounding: Grounding;
} {
  return {
    citations: event.citations.map((c) => ({
      marker: c.marker,
      file_id: c.fileId,
      filename: c.fileName,
      chunk_id: c.chunkId,
      page: c.page || null,
      position: c.position,
      excerpt: c.excerpt,
      start_offset: c.startOffset,
      end_offset: c.endOffset,
      attributed: c.attributed,
      answer_offset: c.attributed ? c.answerOffset : null,
    })),
    grounding: {
      status: GROUNDING[event.status] ?? 'grounded',
      retrieved_chunks: event.retrievedChunks,
      dropped_markers: [...event.droppedMarkers],
      unavailable_files: event.unavailableFiles.map((f) => ({
        file_id: f.fileId,
        status: f.failed ? ('failed' as const) : ('processing' as const),
        reason: f.reason || null,
      })),
    },
  };
}

export function toToolProgress(progress: orchestratorV1.ToolProgress): ToolProgressEvent {
  const elapsed = progress.elapsed;
  return {
    tool_call_id: progress.toolCallId,
    name: progress.toolName,
    stage: TOOL_STAGE[progress.stage] ?? 'started',
    round: progress.round,
    message: progress.message,
    elapsed_ms: elapsed ? Number(elapsed.seconds) * 1000 + Math.round(elapsed.nanos / 1e6) : 0,
  };
}

export function toUsage(usage: commonV1.Usage | null | undefined): CompletionUsage {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.totalTokens || prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedPromptTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export interface BuilderOptions {
  /** The client's stream_options.include_usage. */
  includeUsage: boolean;
  /** parallel_tool_calls=false: only the first tool call is passed on. */
  singleToolCall: boolean;
  requestedModel: string;
}

/** Folds the events of one turn; one instance per request. */
export class ChatCompletionBuilder {
  id = '';
  created = Math.floor(Date.now() / 1000);
  model: string;
  started?: orchestratorV1.TurnStarted;
  usage?: commonV1.Usage;
  finishReason?: FinishReason;
  grounded?: { citations: Citation[]; grounding: Grounding };
  private text = '';
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();

  constructor(private readonly options: BuilderOptions) {
    this.model = options.requestedModel;
  }

  /** Applies `started`. */
  start(started: orchestratorV1.TurnStarted): ChatCompletionChunk {
    this.started = started;
    this.id = `chatcmpl-${started.turnId.replace(/-/g, '')}`;
    this.created = toUnixSeconds(started.createdAt);
    this.model = started.model || this.model;
    return this.chunk({ role: 'assistant', content: '', refusal: null }, null);
  }

  /** A content event; the chunk to send (undefined when there is nothing to send). */
  content(text: string): ChatCompletionChunk | undefined {
    if (!text) return undefined;
    this.text += text;
    return this.chunk({ content: text }, null);
  }

  toolCall(delta: commonV1.ToolCallDelta): ChatCompletionChunk | undefined {
    if (this.options.singleToolCall && delta.index > 0) return undefined;
    const known = this.calls.get(delta.index);
    const call = known ?? { id: delta.id, name: delta.name, arguments: '' };
    call.arguments += delta.argumentsFragment;
    if (!known) this.calls.set(delta.index, call);
    const piece: ToolCallChunk = known
      ? { index: delta.index, function: { arguments: delta.argumentsFragment } }
      : {
          index: delta.index,
          id: delta.id,
          type: 'function',
          function: { name: delta.name, arguments: delta.argumentsFragment },
        };
    return this.chunk({ tool_calls: [piece] }, null);
  }

  /** The `citations` event (sent once, before the finish). */
  citations(event: orchestratorV1.TurnCitations): void {
    this.grounded = toCitations(event);
  }

  /** A server tool's progress, as an extension chunk without choices. */
  toolProgress(progress: orchestratorV1.ToolProgress): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      ...this.base(),
      choices: [],
      hearth_tool_progress: toToolProgress(progress),
    };
    if (this.options.includeUsage) chunk.usage = null;
    return chunk;
  }

  /** The finish chunk (carrying the citations), then the usage chunk when the client asked for it. */
  finish(reason: commonV1.FinishReason): ChatCompletionChunk[] {
    this.finishReason = FINISH[reason] ?? (this.calls.size > 0 ? 'tool_calls' : 'stop');
    const chunks = [{ ...this.chunk({}, this.finishReason), ...this.grounded }];
    if (this.options.includeUsage) {
      const cost = toHearthCost(this.usage);
      chunks.push({
        ...this.base(),
        choices: [],
        usage: toUsage(this.usage),
        ...(cost ? { hearth_cost: cost } : {}),
      });
    }
    return chunks;
  }

  completion(): ChatCompletion {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      }));
    const out: ChatCompletion = {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      system_fingerprint: this.fingerprint(),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.text === '' && toolCalls.length > 0 ? null : this.text,
            refusal: null,
            ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
            annotations: [],
            ...this.grounded,
          },
          logprobs: null,
          finish_reason: this.finishReason ?? 'stop',
        },
      ],
      usage: toUsage(this.usage),
    };
    if (this.started?.conversationId) {
      out.conversation_id = this.started.conversationId;
      out.message_id = this.started.assistantMessageId;
    }
    return out;
  }

  private chunk(delta: ChunkChoice['delta'], finish: FinishReason | null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    // With include_usage OpenAI puts `usage: null` on every chunk but the last.
    if (this.options.includeUsage) chunk.usage = null;
    return chunk;
  }

  private base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: this.fingerprint(),
    };
  }

  private fingerprint(): string {
    return 'fp_hearth';
  }
}
