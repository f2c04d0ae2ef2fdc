// Owns how a background chat completion folds and stores its turn (the BackgroundTurn the driver runs):
// ChatCompletionBuilder makes the `chat.completion.chunk` events, each numbered (its SSE id), and
// BackgroundChatStore keeps the turn's state. After a take-over the turn is replayed: event by event
// while it runs, but a finished turn as its whole answer at once, so what the log holds is compared by
// content, not by number: the text and tool-call arguments the log holds are left out of the replayed
// chunks, and only what follows is numbered on.
import { commonV1, type orchestratorV1 } from '@hearth/contracts';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import type { BackgroundTurn } from '../background/background-turn.driver';
import type { ApiError, OpenAiErrorBody } from '../errors/api.error';
import type { BackgroundChatStore, StoredChatTurn } from './background-chat.store';
import {
  ChatCompletionBuilder,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChunkChoice,
} from './chat-completion.builder';

/** One logged event of a background chat completion: a chunk, or the error that ended the turn. */
export interface ChatStreamEvent {
  sequence_number: number;
  data: ChatCompletionChunk | OpenAiErrorBody;
}

/** What the log holds of a turn's stream. */
interface Sent {
  role: boolean;
  text: number;
  /** Argument characters per tool-call index. */
  args: Map<number, number>;
  progress: number;
}

export class BackgroundChatTurn implements BackgroundTurn<ChatStreamEvent, ChatCompletion> {
  private readonly builder: ChatCompletionBuilder;
  /** What the log held when this drive began (nothing for a new turn). */
  private readonly logged: Sent;
  /** The same measures of what this drive's turn produced so far. */
  private readonly seen: Sent = { role: false, text: 0, args: new Map(), progress: 0 };
  private next: number;
  private status: StoredChatTurn['status'] = 'in_progress';

  constructor(
    private readonly store: Pick<BackgroundChatStore, 'save'>,
    private readonly caller: AuthenticatedCaller,
    private readonly turn: Omit<StoredChatTurn, 'status' | 'completion'>,
    logged: ChatStreamEvent[] = [],
  ) {
    this.builder = new ChatCompletionBuilder(turn.options);
    this.logged = measure(logged);
    this.next = (logged[logged.length - 1]?.sequence_number ?? -1) + 1;
  }

  get request(): orchestratorV1.RunTurnRequest {
    return this.turn.request;
  }

  get id(): string {
    return this.builder.id;
  }

  get started(): boolean {
    return this.builder.started !== undefined;
  }

  get ended(): boolean {
    return this.status !== 'in_progress';
  }

  apply(event: orchestratorV1.RunTurnResponse): ChatStreamEvent[] {
    const { builder, seen, logged } = this;
    if (event.started) {
      this.turn.turnId = event.started.turnId;
      const chunk = builder.start(event.started);
      seen.role = true;
      return logged.role ? [] : this.number([chunk]);
    }
    if (event.content) {
      const from = seen.text;
      seen.text += event.content.text.length;
      const chunk = builder.content(event.content.text);
      const skip = logged.text - from;
      if (!chunk || skip >= event.content.text.length) return [];
      if (skip > 0) setDelta(chunk, { content: event.content.text.slice(skip) });
      return this.number([chunk]);
    }
    if (event.toolCall) {
      const delta = event.toolCall;
      const from = seen.args.get(delta.index) ?? 0;
      seen.args.set(delta.index, from + delta.argumentsFragment.length);
      const chunk = builder.toolCall(delta);
      const had = logged.args.get(delta.index);
      if (!chunk || had === undefined) return chunk ? this.number([chunk]) : [];
      // The call's opening chunk is in the log: only the arguments it lacks go on, as a fragment.
      const rest = delta.argumentsFragment.slice(Math.max(0, had - from));
      if (rest === '') return [];
      setDelta(chunk, { tool_calls: [{ index: delta.index, function: { arguments: rest } }] });
      return this.number([chunk]);
    }
    if (event.toolProgress) {
      seen.progress += 1;
      const chunk = builder.toolProgress(event.toolProgress);
      return seen.progress > logged.progress ? this.number([chunk]) : [];
    }
    if (event.citations) builder.citations(event.citations);
    else if (event.usage) builder.usage = event.usage;
    else if (event.finish) {
      const chunks = builder.finish(event.finish.finishReason);
      this.status =
        event.finish.finishReason === commonV1.FinishReason.FINISH_REASON_CANCELLED
          ? 'cancelled'
          : 'completed';
      return this.number(chunks);
    }
    return [];
  }

  fail(error: ApiError): ChatStreamEvent[] {
    this.status = 'failed';
    return this.number([error.toBody()]);
  }

  usedTokens(): number | undefined {
    const { builder } = this;
    if (!this.ended) return undefined;
    if (builder.started?.replayed) return 0;
    return builder.usage ? builder.usage.totalTokens || 0 : undefined;
  }

  save(): Promise<void> {
    return this.store.save(this.id, {
      ...this.turn,
      status: this.status,
      ...(this.ended && { completion: this.snapshot() }),
    });
  }

  snapshot(): ChatCompletion {
    return this.builder.completion();
  }

  private number(data: ChatStreamEvent['data'][]): ChatStreamEvent[] {
    return data.map((item) => ({ sequence_number: this.next++, data: item }));
  }
}

function setDelta(chunk: ChatCompletionChunk, delta: ChunkChoice['delta']): void {
  const choice = chunk.choices[0];
  if (choice) choice.delta = delta;
}

function measure(events: ChatStreamEvent[]): Sent {
  const sent: Sent = { role: false, text: 0, args: new Map(), progress: 0 };
  for (const { data } of events) {
    if ('error' in data) continue;
    if (data.hearth_tool_progress) sent.progress += 1;
    const delta = data.choices[0]?.delta;
    if (!delta) continue;
    if (delta.role) sent.role = true;
    if (typeof delta.content === 'string') sent.text += delta.content.length;
    for (const call of delta.tool_calls ?? []) {
      sent.args.set(call.index, (sent.args.get(call.index) ?? 0) + call.function.arguments.length);
    }
  }
  return sent;
}
