// Owns the engine's public API, the one surface the gRPC layer talks to: generate (streamed) and
// complete (collected) with validation, chat templating, grammars and admission; tokenize and
// embeddings; metrics and health. Everything llama.cpp-specific stays behind it.
import type { CallArgumentGrammars } from './decode/call-arguments.guide';
import { EmbeddingResult, EmbeddingService } from './embedding/embedding.service';
import { InvalidRequestError } from './engine.errors';
import { EngineLogger, silentLogger } from './engine.logger';
import { GenerationStream } from './generation.stream';
import {
  FIELD,
  FunctionCallSyntax,
  GenerationHandle,
  GenerationRequest,
  GenerationResult,
  HeldPrefix,
  PromptInput,
  ToolCallArguments,
} from './generation.types';
import { ComputeBackend, LoadedModel } from './model/model-loader.adapter';
import { loadNodeLlamaCpp, type LlamaGrammar, type Token } from './model/node-llama-cpp.module';
import { ChatPromptBuilder } from './request/chat-prompt.builder';
import { GrammarCache, grammarStopStrings } from './request/grammar.cache';
import { validateRequest } from './request/sampling-params.validator';
import { BatchScheduler, ScheduledJob } from './scheduler/batch.scheduler';
import { EngineMetricsSnapshot } from './scheduler/engine.metrics';
import type { SpeculativeDraftingOptions } from './scheduler/prompt-lookup.drafting';

export interface InferenceEngineOptions {
  /** Concurrent sequences in the one context. */
  readonly slots: number;
  /** Tokens per slot (prompt + completion). */
  readonly contextSize: number;
  readonly batchSize: number;
  readonly queueMax: number;
  /** Prompt tokens per step while other slots decode (default 128). */
  readonly prefillChunkTokens?: number;
  /** Default true: full KV cache on sliding-window models so long prefixes can be reused. */
  readonly swaFullCache?: boolean;
  /** Speculative decoding by prompt lookup (default off). */
  readonly drafting?: SpeculativeDraftingOptions;
  /** Compiled JSON-schema grammars kept (default 64). */
  readonly grammarCacheSize?: number;
  /** Embedding context size (default min(contextSize, 2048)). */
  readonly embeddingContextSize?: number;
  readonly logger?: EngineLogger;
}

export interface EngineInfo {
  readonly modelPath: string;
  readonly modelSha256: string | undefined;
  readonly backend: ComputeBackend;
  readonly threads: number;
  readonly slots: number;
  readonly contextSize: number;
  readonly batchSize: number;
  readonly trainContextSize: number;
  /** "gguf": the file's own chat template; "none": chat requests bring the registry's. */
  readonly chatTemplate: 'gguf' | 'none';
  /** How the file's own template writes function calls as text; undefined without one or when it cannot be parsed back. */
  readonly functionCallSyntax: FunctionCallSyntax | undefined;
  /** GPU device names llama.cpp reports; empty on CPU. */
  readonly gpuDeviceNames: readonly string[];
}

export interface EngineHealth {
  readonly ready: boolean;
  readonly queueDepth: number;
  readonly activeSlots: number;
  readonly freeSlots: number;
}

export class InferenceEngine {
  private closed = false;

  private constructor(
    private readonly loaded: LoadedModel,
    private readonly scheduler: BatchScheduler,
    private readonly prompts: ChatPromptBuilder,
    private readonly grammars: GrammarCache,
    private readonly embeddings: EmbeddingService,
    readonly info: EngineInfo,
  ) {}

  static async create(loaded: LoadedModel, options: InferenceEngineOptions): Promise<InferenceEngine> {
    const logger = options.logger ?? silentLogger;
    const llamaCpp = await loadNodeLlamaCpp();
    const scheduler = await BatchScheduler.create(
      llamaCpp,
      loaded.model,
      {
        slots: options.slots,
        contextSize: options.contextSize,
        batchSize: options.batchSize,
        threads: loaded.threads,
        queueMax: options.queueMax,
        prefillChunkTokens: options.prefillChunkTokens ?? 128,
        swaFullCache: options.swaFullCache ?? true,
        drafting: options.drafting ?? { mode: 'off', maxDraftTokens: 0 },
      },
      logger,
    );
    const prompts = await ChatPromptBuilder.create(loaded.model);
    const embeddings = new EmbeddingService(loaded.model, {
      contextSize: options.embeddingContextSize ?? Math.min(options.contextSize, 2048),
      threads: loaded.threads,
    });
    const info: EngineInfo = {
      modelPath: loaded.path,
      modelSha256: loaded.sha256,
      backend: loaded.backend,
      threads: loaded.threads,
      slots: options.slots,
      contextSize: options.contextSize,
      batchSize: options.batchSize,
      trainContextSize: loaded.trainContextSize,
      chatTemplate: prompts.templateName,
      functionCallSyntax: prompts.functionCallSyntax(undefined),
      gpuDeviceNames: loaded.backend === 'cpu' ? [] : await loaded.llama.getGpuDeviceNames(),
    };
    logger.info({ ...info }, 'inference engine ready');
    return new InferenceEngine(
      loaded,
      scheduler,
      prompts,
      new GrammarCache(loaded.llama, options.grammarCacheSize ?? 64),
      embeddings,
      info,
    );
  }

  /**
   * Validates, renders and queues a request; the handle streams `started`, `delta`… and `done`.
   * Rejects with InvalidRequestError, QueueFullError, DeadlineExceededError or EngineClosedError.
   */
  async generate(request: GenerationRequest): Promise<GenerationHandle> {
    const { sampling, priority } = validateRequest(request);
    const rendered = this.prompts.render(request.input);
    const contextSize = this.info.contextSize;
    // One position stays free: the last sampled token is never evaluated, and node-llama-cpp
    // shifts the context (silently dropping the prompt's start) when a sequence is full.
    const room = contextSize - 1 - rendered.tokens.length;
    if (room < 1) {
      const field = 'messages' in request.input ? FIELD.messages : FIELD.prompt;
      throw InvalidRequestError.of(
        field,
        `the prompt is ${rendered.tokens.length} tokens; the context holds ${contextSize} including the completion`,
      );
    }
    const grammar = await this.grammars.forFormat(request.responseFormat);
    const callArguments = await this.callArgumentGrammars(request.toolCallArguments);
    // The stream exists before the job it cancels, so cancel() reaches the job through this holder.
    const submitted: { job?: ScheduledJob } = {};
    const stream = new GenerationStream(
      request.requestId,
      () => submitted.job && this.scheduler.cancel(submitted.job),
    );
    submitted.job = this.scheduler.submit(
      {
        requestId: request.requestId,
        priority,
        salt: request.cacheSalt,
        heldPrefix: request.heldPrefix,
        deadlineAt: request.deadlineAt,
        promptTokens: rendered.tokens,
        stopStrings: [...rendered.stopStrings, ...grammarStopStrings(grammar)],
        stopTokens: rendered.stopTokens,
        sampling,
        maxTokens: Math.min(sampling.maxTokens ?? room, room),
        grammar,
        callArguments,
        stream,
      },
      request.signal,
    );
    return stream;
  }

  /** generate() collected into one result. */
  async complete(request: GenerationRequest): Promise<GenerationResult> {
    const handle = await this.generate(request);
    return handle.result;
  }

  tokenize(text: string, options: { specialTokens?: boolean } = {}): Token[] {
    return this.loaded.model.tokenize(text, options.specialTokens ?? false);
  }

  detokenize(tokens: readonly Token[]): string {
    return this.loaded.model.detokenize(tokens);
  }

  /** How the template a request renders with writes function calls as text (see EngineInfo). */
  functionCallSyntax(chatTemplate: string | undefined): FunctionCallSyntax | undefined {
    return this.prompts.functionCallSyntax(chatTemplate);
  }

  /** Prompt tokens a request would use, template included (for context budgeting). */
  countPromptTokens(input: PromptInput): number {
    return this.prompts.render(input).tokens.length;
  }

  /** The prompt tokens a request would be evaluated with, template included. */
  promptTokens(input: PromptInput): Token[] {
    return this.prompts.render(input).tokens;
  }

  embed(inputs: readonly string[]): Promise<EmbeddingResult> {
    return this.embeddings.embed(inputs);
  }

  metrics(): EngineMetricsSnapshot {
    return this.scheduler.metrics.snapshot({
      activeSlots: this.scheduler.activeSlots,
      queueDepth: this.scheduler.queueDepth,
    });
  }

  /** KV cache occupancy in cells (one cell per cached token per slot). */
  kvCache(): { usedCells: number; totalCells: number } {
    const { used, total } = this.scheduler.kvCells();
    return { usedCells: used, totalCells: total };
  }

  /** The prompt prefixes the slots hold (see GenerationRequest.heldPrefix). */
  heldPrefixes(): HeldPrefix[] {
    return this.scheduler.heldPrefixes();
  }

  health(): EngineHealth {
    const active = this.scheduler.activeSlots;
    return {
      ready: !this.closed,
      queueDepth: this.scheduler.queueDepth,
      activeSlots: active,
      freeSlots: this.scheduler.slotCount - active,
    };
  }

  /** The argument grammars of the constrained tools (compiled once, cached), or undefined when none. */
  private async callArgumentGrammars(
    calls: ToolCallArguments | undefined,
  ): Promise<CallArgumentGrammars | undefined> {
    if (!calls || calls.schemas.size === 0) return undefined;
    const grammars = new Map<string, LlamaGrammar>();
    for (const [name, schema] of calls.schemas) {
      try {
        const grammar = await this.grammars.forFormat({ type: 'json_schema', schema });
        if (grammar) grammars.set(name, grammar);
      } catch (error) {
        if (!(error instanceof InvalidRequestError)) throw error;
        throw InvalidRequestError.of(
          'tools',
          `the parameters of "${name}": ${error.problems.map((p) => p.message).join('; ')}`,
        );
      }
    }
    return { syntax: calls.syntax, toolNames: calls.toolNames, grammars };
  }

  /** Refuses new work, fails queued requests, cancels running ones and frees the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.scheduler.close();
    await this.embeddings.dispose();
    await this.loaded.dispose();
  }
}
