// Owns OpenAI's output shapes of a Responses API turn: it folds the orchestrator's RunTurn events into
// the Response object and, for streaming requests, into the event sequence OpenAI specifies, each with
// its sequence_number: response.created and .in_progress; per output item .output_item.added, then
// for a message .content_part.added, .output_text.delta…, .output_text.done, .content_part.done, for
// a function call .function_call_arguments.delta…, .done; .output_item.done; and last
// response.completed, .incomplete (max_output_tokens, content_filter) or .failed. Citations of a
// grounded turn become file_citation annotations on the output text.
import { createHash } from 'node:crypto';

import { commonV1, type orchestratorV1 } from '@hearth/contracts';

import { toCitations, toUsage, type Citation } from '../chat/chat-completion.builder';
import type { ChatMessageInput } from '../chat/chat.schemas';
import { toUnixSeconds } from '../http/timestamps';
import type { CreateResponseRequest } from './responses.schemas';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export interface FileCitation {
  type: 'file_citation';
  file_id: string;
  filename: string;
  index: number;
}

export interface OutputMessage {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: { type: 'output_text'; text: string; annotations: FileCitation[]; logprobs: [] }[];
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export type OutputItem = OutputMessage | FunctionCallItem;

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  background: boolean;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  /** The stored conversation the response was added to (with `conversation`). */
  conversation: { id: string } | null;
  store: boolean;
  temperature: number | null;
  top_p: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: Record<string, unknown>[];
  truncation: 'disabled';
  /** Absent until the turn reported it (OpenAI's schema has no null here). */
  usage?: ResponseUsage;
  user?: string;
  metadata: Record<string, string>;
  /** Extension: the sources behind the file_citation annotations (only with retrieval). */
  citations?: Citation[];
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseEvent = { type: string; sequence_number: number } & Record<string, unknown>;

interface OpenCall {
  item: FunctionCallItem;
  outputIndex: number;
}

/** Folds one turn's events; one instance per request. */
export class ResponseBuilder {
  readonly response: ResponseObject;
  started?: orchestratorV1.TurnStarted;
  /** The turn's usage as the orchestrator sent it (with its cost). */
  turnUsage?: commonV1.Usage;
  private sequence = 0;
  private message?: { item: OutputMessage; outputIndex: number };
  private readonly calls = new Map<number, OpenCall>();
  private citations: Citation[] = [];

  constructor(request: CreateResponseRequest) {
    const format = request.text?.format ?? { type: 'text' };
    this.response = {
      id: '',
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      completed_at: null,
      status: 'in_progress',
      background: request.background ?? false,
      error: null,
      incomplete_details: null,
      instructions: request.instructions ?? null,
      max_output_tokens: request.max_output_tokens ?? null,
      model: request.model,
      output: [],
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      previous_response_id: request.previous_response_id ?? null,
      conversation:
        request.conversation == null
          ? null
          : { id: typeof request.conversation === 'string' ? request.conversation : request.conversation.id },
      store: request.store ?? true,
      temperature: request.temperature ?? null,
      top_p: request.top_p ?? null,
      text: {
        format: format.type === 'json_schema' ? { ...format, strict: format.strict ?? false } : format,
      },
      tool_choice: request.tool_choice ?? 'auto',
      tools: (request.tools ?? []).map((tool) => ({
        type: 'function',
        name: tool.name,
        description: tool.description ?? null,
        parameters: tool.parameters ?? null,
        strict: tool.strict ?? false,
      })),
      truncation: 'disabled',
      ...(request.user !== undefined && { user: request.user }),
      metadata: request.metadata ?? {},
    };
  }

  /** Applies one RunTurn event other than `error`; returns the stream events it produced. */
  apply(event: orchestratorV1.RunTurnResponse): ResponseEvent[] {
    if (event.started) return this.start(event.started);
    if (event.content) return this.content(event.content.text);
    if (event.toolCall) return this.toolCall(event.toolCall);
    if (event.citations) this.citationsOf(event.citations);
    else if (event.usage) this.usage(event.usage);
    else if (event.finish) return this.finish(event.finish.finishReason);
    return [];
  }

  /** The turn started: the response gets its id (from the turn's, so a replayed turn keeps it). */
  start(started: orchestratorV1.TurnStarted): ResponseEvent[] {
    this.started = started;
    this.response.id = `resp_${started.turnId.replace(/-/g, '')}`;
    this.response.created_at = toUnixSeconds(started.createdAt);
    this.response.model = started.model || this.response.model;
    return [
      this.event('response.created', { response: this.snapshot() }),
      this.event('response.in_progress', { response: this.snapshot() }),
    ];
  }

  content(text: string): ResponseEvent[] {
    if (!text) return [];
    const events: ResponseEvent[] = [];
    if (!this.message) {
      const item: OutputMessage = {
        type: 'message',
        id: this.itemId('msg'),
        status: 'in_progress',
        role: 'assistant',
        content: [],
      };
      this.message = { item, outputIndex: this.response.output.length };
      this.response.output.push(item);
      events.push(
        this.event('response.output_item.added', {
          output_index: this.message.outputIndex,
          item: { ...item, content: [] },
        }),
      );
      item.content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
      events.push(
        this.event('response.content_part.added', {
          item_id: item.id,
          output_index: this.message.outputIndex,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        }),
      );
    }
    const part = this.message.item.content[0];
    if (part) part.text += text;
    events.push(
      this.event('response.output_text.delta', {
        item_id: this.message.item.id,
        output_index: this.message.outputIndex,
        content_index: 0,
        delta: text,
        logprobs: [],
      }),
    );
    return events;
  }

  toolCall(delta: commonV1.ToolCallDelta): ResponseEvent[] {
    if (this.response.parallel_tool_calls === false && delta.index > 0) return [];
    const events: ResponseEvent[] = [];
    let call = this.calls.get(delta.index);
    if (!call) {
      const item: FunctionCallItem = {
        type: 'function_call',
        id: this.itemId('fc'),
        call_id: delta.id,
        name: delta.name,
        arguments: '',
        status: 'in_progress',
      };
      call = { item, outputIndex: this.response.output.length };
      this.calls.set(delta.index, call);
      this.response.output.push(item);
      events.push(
        this.event('response.output_item.added', { output_index: call.outputIndex, item: { ...item } }),
      );
    }
    if (delta.argumentsFragment) {
      call.item.arguments += delta.argumentsFragment;
      events.push(
        this.event('response.function_call_arguments.delta', {
          item_id: call.item.id,
          output_index: call.outputIndex,
          delta: delta.argumentsFragment,
        }),
      );
    }
    return events;
  }

  /** The `citations` event (sent once, before the finish): annotations on the output text. */
  citationsOf(event: orchestratorV1.TurnCitations): void {
    this.citations = toCitations(event).citations;
  }

  /** The usage event. */
  usage(usage: commonV1.Usage): void {
    this.turnUsage = usage;
    const details = toUsage(usage);
    this.response.usage = {
      input_tokens: details.prompt_tokens,
      input_tokens_details: {
        cached_tokens: details.prompt_tokens_details.cached_tokens,
        cache_write_tokens: 0,
      },
      output_tokens: details.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: details.total_tokens,
    };
  }

  /**
   * The turn finished: closes every open item and ends with completed or incomplete; a turn cancelled
   * by CancelTurn (POST …/cancel) ends cancelled, with no terminal event (OpenAI has none for it).
   */
  finish(reason: commonV1.FinishReason): ResponseEvent[] {
    if (reason === commonV1.FinishReason.FINISH_REASON_CANCELLED) return this.cancel();
    const incomplete =
      reason === commonV1.FinishReason.FINISH_REASON_LENGTH
        ? ('max_output_tokens' as const)
        : reason === commonV1.FinishReason.FINISH_REASON_CONTENT_FILTER
          ? ('content_filter' as const)
          : undefined;
    const events = this.closeItems(incomplete ? 'incomplete' : 'completed');
    if (incomplete) {
      this.response.status = 'incomplete';
      this.response.incomplete_details = { reason: incomplete };
      events.push(this.event('response.incomplete', { response: this.snapshot() }));
    } else {
      this.response.status = 'completed';
      this.response.completed_at = Math.floor(Date.now() / 1000);
      events.push(this.event('response.completed', { response: this.snapshot() }));
    }
    return events;
  }

  /** The turn failed after it started. */
  fail(message: string, code = 'server_error'): ResponseEvent[] {
    const events = this.closeItems('incomplete');
    this.response.status = 'failed';
    this.response.error = { code, message };
    events.push(this.event('response.failed', { response: this.snapshot() }));
    return events;
  }

  /** The turn was cancelled (or, foreground, its client left): open items close as incomplete. */
  cancel(): ResponseEvent[] {
    const events = this.closeItems('incomplete');
    this.response.status = 'cancelled';
    return events;
  }

  /** True once the response reached its final status. */
  get ended(): boolean {
    return this.response.status !== 'in_progress';
  }

  /** The output as chat messages, for the transcript a later previous_response_id continues. */
  outputMessages(): ChatMessageInput[] {
    const text = this.message?.item.content[0]?.text ?? '';
    const calls = [...this.calls.values()].map(({ item }) => ({
      id: item.call_id,
      type: 'function' as const,
      function: { name: item.name, arguments: item.arguments },
    }));
    if (text === '' && calls.length === 0) return [];
    return [
      {
        role: 'assistant',
        content: text === '' ? null : text,
        ...(calls.length > 0 && { tool_calls: calls }),
      },
    ];
  }

  /** A deep copy of the response as it stands (events must not change after they are sent). */
  snapshot(): ResponseObject {
    return structuredClone(this.response);
  }

  private closeItems(status: 'completed' | 'incomplete'): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    const message = this.message;
    if (message && message.item.status === 'in_progress') {
      const part = message.item.content[0];
      if (part) part.annotations = this.annotations(part.text);
      message.item.status = status;
      const base = { item_id: message.item.id, output_index: message.outputIndex, content_index: 0 };
      events.push(this.event('response.output_text.done', { ...base, text: part?.text ?? '', logprobs: [] }));
      events.push(this.event('response.content_part.done', { ...base, part: structuredClone(part) }));
      events.push(
        this.event('response.output_item.done', {
          output_index: message.outputIndex,
          item: structuredClone(message.item),
        }),
      );
    }
    for (const { item, outputIndex } of this.calls.values()) {
      if (item.status !== 'in_progress') continue;
      item.status = status;
      events.push(
        this.event('response.function_call_arguments.done', {
          item_id: item.id,
          output_index: outputIndex,
          name: item.name,
          arguments: item.arguments,
        }),
      );
      events.push(this.event('response.output_item.done', { output_index: outputIndex, item: { ...item } }));
    }
    if (this.citations.length > 0) this.response.citations = this.citations;
    return events;
  }

  /**
   * One file_citation per cited source, at the position of its first `[marker]` in the text, or of
   * the end of the sentence it was attributed to.
   */
  private annotations(text: string): FileCitation[] {
    return this.citations.map((citation) => {
      const at = citation.answer_offset ?? text.indexOf(`[${citation.marker}]`);
      return {
        type: 'file_citation',
        file_id: citation.file_id,
        filename: citation.filename,
        index: at >= 0 ? at : text.length,
      };
    });
  }

  /**
   * The id of the next output item, derived from the response id and its position, so a replica that
   * rebuilds the response from the turn's events (re-attaching to it) names every item the same.
   */
  private itemId(prefix: 'msg' | 'fc'): string {
    const digest = createHash('sha256').update(`${this.response.id}:${this.response.output.length}`);
    return `${prefix}_${digest.digest('hex').slice(0, 32)}`;
  }

  private event(type: string, fields: Record<string, unknown>): ResponseEvent {
    return { type, sequence_number: this.sequence++, ...fields };
  }
}
