// Owns the engine's request and event shapes: what the gRPC layer builds from the wire and what it
// streams back. Field names in errors are the public (snake_case) names, listed in FIELD.

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** A function offered to the model, documented through the chat template's own function syntax. */
export interface ChatFunction {
  readonly name: string;
  readonly description?: string;
  /** JSON schema of the parameters object. */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** How the chat template writes a function call as text: `<prefix>name<paramsPrefix>{json}<suffix>`. */
export interface FunctionCallSyntax {
  readonly prefix: string;
  readonly paramsPrefix: string;
  readonly suffix: string;
}

/**
 * Chat messages rendered with the model's own template (with `functions` documented in it when the
 * template has a plain-text function syntax), or a raw prompt (BOS is still added).
 */
export type PromptInput =
  | {
      readonly messages: readonly ChatMessage[];
      readonly functions?: readonly ChatFunction[];
      /** The registry's Jinja template, for a model file without its own; unset: the file's own. */
      readonly chatTemplate?: string;
    }
  | { readonly prompt: string };

/** Admission tiers: `high` is served first and is the last to be shed when the queue is full. */
export type RequestPriority = 'high' | 'normal' | 'low';

export interface SamplingOptions {
  /** 0 is greedy. Default 0.8. */
  readonly temperature?: number;
  /** Default 0.95. */
  readonly topP?: number;
  /** 0 disables. Default 40. */
  readonly topK?: number;
  /** Default 0.05. */
  readonly minP?: number;
  /** Same seed, same prompt, same parameters (run alone) → same output. Random when unset. */
  readonly seed?: number;
  /** llama.cpp-style multiplicative penalty; 1 disables. Default 1. */
  readonly repetitionPenalty?: number;
  /** OpenAI-style additive penalties in [-2, 2]. Default 0. */
  readonly frequencyPenalty?: number;
  readonly presencePenalty?: number;
  /** Completion tokens at most; defaults to what is left of the slot's context. */
  readonly maxTokens?: number;
  /** Up to 4 strings; generation stops before them and they never appear in the output. */
  readonly stop?: readonly string[];
}

export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly schema: Readonly<Record<string, unknown>>;
      readonly name?: string;
    };

/**
 * tool_choice auto: calls the model writes in the template's syntax have their arguments generated
 * under the grammar of the tool's parameter schema (tools offered with strict).
 */
export interface ToolCallArguments {
  readonly syntax: FunctionCallSyntax;
  /** Every offered tool (the call syntax is followed across all of them). */
  readonly toolNames: readonly string[];
  /** The parameter schemas of the tools whose arguments are constrained, by tool name. */
  readonly schemas: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** A slot's prompt prefix as the routing layer describes it (see CachedPrefix in the worker proto). */
export interface HeldPrefix {
  readonly scope: string;
  readonly blockHashes: readonly string[];
  readonly blockCount: number;
}

export interface GenerationRequest {
  /** Correlates logs and metrics; not interpreted. */
  readonly requestId: string;
  readonly input: PromptInput;
  readonly sampling?: SamplingOptions;
  readonly responseFormat?: ResponseFormat;
  readonly toolCallArguments?: ToolCallArguments;
  readonly priority?: RequestPriority;
  /**
   * KV prefix sharing happens only between requests with the same salt (a slot remembers the salt
   * that filled it). Pass the tenant id unless the tenant opted in to sharing; unset shares with
   * every other unsalted request.
   */
  readonly cacheSalt?: string;
  /**
   * What the slot will hold once this request fills it, reported in Stats for cache-aware routing
   * (block hashes of the wire request, not tokens; opaque to the engine).
   */
  readonly heldPrefix?: HeldPrefix;
  /** Absolute deadline (epoch ms), honoured in the queue and during generation. */
  readonly deadlineAt?: number;
  /** Aborting cancels the request; a running one frees its slot within one decode step. */
  readonly signal?: AbortSignal;
}

/**
 * stop: end of generation, a stop sequence or the template's end-of-turn;
 * length: max_tokens or the context is full; cancelled: the caller aborted;
 * deadline: the deadline passed after generation started (text so far is kept).
 */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'deadline';

export interface Usage {
  readonly promptTokens: number;
  /** Prompt tokens whose KV state was reused from a slot instead of being evaluated. */
  readonly cachedPromptTokens: number;
  readonly completionTokens: number;
}

export interface Timings {
  readonly queuedMs: number;
  /** From admission to the first sampled token (prefill included). */
  readonly timeToFirstTokenMs: number | undefined;
  readonly totalMs: number;
}

export type GenerationEvent =
  | {
      readonly type: 'started';
      readonly slot: number;
      readonly promptTokens: number;
      readonly cachedPromptTokens: number;
      readonly queuedMs: number;
    }
  | {
      readonly type: 'delta';
      readonly text: string;
      readonly completionTokens: number;
      /** Ids of the tokens sampled since the previous delta (stop-sequence tokens included). */
      readonly tokenIds?: readonly number[];
    }
  | {
      readonly type: 'done';
      readonly finishReason: FinishReason;
      readonly usage: Usage;
      readonly timings: Timings;
      readonly seed: number;
    };

export interface GenerationResult {
  readonly requestId: string;
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  readonly timings: Timings;
  readonly seed: number;
}

export interface GenerationHandle extends AsyncIterable<GenerationEvent> {
  readonly requestId: string;
  /** Settles when the request ends, whether or not the events are consumed. */
  readonly result: Promise<GenerationResult>;
  cancel(): void;
}

/** Public field names used in InvalidRequestError. */
export const FIELD = {
  messages: 'messages',
  prompt: 'prompt',
  temperature: 'temperature',
  topP: 'top_p',
  topK: 'top_k',
  minP: 'min_p',
  seed: 'seed',
  repetitionPenalty: 'repetition_penalty',
  frequencyPenalty: 'frequency_penalty',
  presencePenalty: 'presence_penalty',
  maxTokens: 'max_tokens',
  stop: 'stop',
  responseFormat: 'response_format',
  jsonSchema: 'response_format.json_schema',
  priority: 'priority',
  deadline: 'deadline',
  input: 'input',
} as const;
