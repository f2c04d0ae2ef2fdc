// Owns turning a gateway GenerateRequest into what the rest of the gateway works with: a validated
// caller, the resolved model and its fallback chain, sampling with registry defaults applied, the
// absolute deadline, the worst-case token count quotas reserve, whether the response is cacheable, the
// output check, and the worker request for each candidate model.
import { commonV1, gatewayV1, inferenceV1 } from '@hearth/contracts';
import { deadlineExceeded, invalidArgument, notFound, timestampMs, validateCaller } from '@hearth/grpc';

import type { OutputCheck, StructuredOutputGuard } from '../guard/structured-output.guard';
import type { ModelRegistry, RegisteredModel } from '../registry/model-registry';

export interface Caller {
  tenantId: string;
  apiKeyId: string;
  userId?: string;
}

export interface NormalizedGeneration {
  readonly request: gatewayV1.GenerateRequest;
  readonly caller: Caller;
  readonly requestId: string;
  readonly model: RegisteredModel;
  /** The model, then its fallbacks. */
  readonly candidates: readonly RegisteredModel[];
  readonly maxTokens: number;
  /** Upper bound of the prompt's tokens, for the quota reservation. */
  readonly promptTokenBound: number;
  /** temperature 0 or a fixed seed, with the model's defaults applied. */
  readonly deterministic: boolean;
  readonly outputCheck?: OutputCheck;
  /** Epoch ms after which the work is useless. */
  readonly deadline: number;
  readonly receivedAt: number;
}

export interface NormalizeOptions {
  registry: ModelRegistry;
  guard: StructuredOutputGuard;
  /** Deadline of the incoming gRPC call, if it has one (epoch ms). */
  callDeadline?: number;
  maxDurationMs: number;
  now?: number;
}

/** The caller every gateway rpc needs: a tenant and the API key quotas and usage are charged to. */
export function gatewayCaller(caller: commonV1.Caller | null | undefined): Caller {
  const valid = validateCaller(caller, { apiKey: true });
  return { tenantId: valid.tenantId, apiKeyId: valid.apiKeyId, userId: valid.userId || undefined };
}

export function validateRequestId(requestId: string): string {
  if (requestId.length === 0 || requestId.length > 200)
    throw invalidArgument('request_id is required (1-200 characters)');
  return requestId;
}

/** Resolves a model name for a tenant, or NOT_FOUND without revealing models the tenant may not use. */
export function resolveModel(registry: ModelRegistry, name: string, tenantId: string): RegisteredModel {
  if (name === '') throw invalidArgument('model is required');
  const model = registry.resolve(name, tenantId);
  if (!model) throw notFound('MODEL_NOT_FOUND', `unknown model "${name}"`, { model: name });
  return model;
}

export function normalizeGeneration(
  request: gatewayV1.GenerateRequest,
  options: NormalizeOptions,
): NormalizedGeneration {
  const now = options.now ?? Date.now();
  const caller = gatewayCaller(request.caller);
  const requestId = validateRequestId(request.requestId);
  const model = resolveModel(options.registry, request.model, caller.tenantId);
  if (!model.capabilities.includes('chat'))
    throw invalidArgument(`model "${model.id}" does not generate text`);
  if (request.messages.length > 0 === (request.prompt !== ''))
    throw invalidArgument('exactly one of messages or prompt must be set');

  const requested = request.sampling?.maxTokens;
  if (requested === 0) throw invalidArgument('sampling.max_tokens must be at least 1');
  if (requested != null && requested > model.maxOutputTokens) {
    throw invalidArgument(
      `sampling.max_tokens ${requested} exceeds the ${model.maxOutputTokens} tokens model "${model.id}" allows`,
    );
  }
  const maxTokens = requested ?? model.defaults.maxTokens ?? model.maxOutputTokens;

  const deadline = Math.min(
    timestampMs('deadline', request.deadline) ?? Infinity,
    options.callDeadline ?? Infinity,
    now + options.maxDurationMs,
  );
  if (deadline <= now) throw deadlineExceeded('the request deadline has already passed');

  const temperature = request.sampling?.temperature ?? model.defaults.temperature;
  const deterministic = temperature === 0 || request.sampling?.seed != null;

  return {
    request,
    caller,
    requestId,
    model,
    candidates: options.registry.candidates(model, caller.tenantId),
    maxTokens,
    promptTokenBound: Math.min(model.contextLength, promptTokenUpperBound(request)),
    deterministic,
    outputCheck: options.guard.checkFor(request.responseFormat),
    deadline,
    receivedAt: now,
  };
}

/** The request for one candidate model's workers: its defaults, its max_tokens cap, tenant cache salt. */
export function toWorkerRequest(
  generation: NormalizedGeneration,
  model: RegisteredModel,
): inferenceV1.GenerateRequest {
  const { request } = generation;
  const sampling = request.sampling;
  return {
    requestId: generation.requestId,
    modelId: model.workerModelId,
    messages: request.messages,
    prompt: request.prompt,
    // Only chat messages are templated; a raw prompt goes to the model verbatim.
    chatTemplate: request.messages.length > 0 ? (model.chatTemplate ?? '') : '',
    sampling: {
      temperature: sampling?.temperature ?? model.defaults.temperature,
      topP: sampling?.topP ?? model.defaults.topP,
      topK: sampling?.topK ?? model.defaults.topK,
      minP: sampling?.minP ?? model.defaults.minP,
      seed: sampling?.seed,
      stop: sampling?.stop ?? [],
      maxTokens: Math.min(generation.maxTokens, model.maxOutputTokens),
      repetitionPenalty: sampling?.repetitionPenalty,
      frequencyPenalty: sampling?.frequencyPenalty,
      presencePenalty: sampling?.presencePenalty,
    },
    responseFormat: request.responseFormat,
    tools: request.tools,
    toolChoice: request.toolChoice,
    priority:
      request.priority === commonV1.PriorityTier.PRIORITY_TIER_UNSPECIFIED
        ? commonV1.PriorityTier.PRIORITY_TIER_NORMAL
        : request.priority,
    // Prefix KV reuse stays within a tenant unless tenants opt in to a shared salt.
    cacheSalt: request.cacheSalt || generation.caller.tenantId,
    deadline: new Date(generation.deadline),
  };
}

// Chat templates add a few tokens per message (role markers, separators) and a generation prompt.
const PER_MESSAGE_OVERHEAD = 8;
const PER_REQUEST_OVERHEAD = 16;

/**
 * An upper bound of the prompt's tokens without a tokenizer round trip: tokenizers of the models we
 * serve (byte-level BPE, SentencePiece with byte fallback) never emit more tokens than UTF-8 bytes,
 * plus the template's markers. Quotas reserve this bound, so concurrent requests cannot overshoot a
 * limit; the real count replaces it when the request settles.
 */
export function promptTokenUpperBound(request: gatewayV1.GenerateRequest): number {
  let total = PER_REQUEST_OVERHEAD + Buffer.byteLength(request.prompt);
  for (const message of request.messages) {
    total += PER_MESSAGE_OVERHEAD + Buffer.byteLength(message.name) + Buffer.byteLength(message.toolCallId);
    for (const part of message.content) {
      total += Buffer.byteLength(part.text ?? part.refusal ?? '');
      // Images and files are expanded by the worker; a fixed allowance keeps the bound finite.
      if (part.image || part.file) total += 1024;
    }
    for (const call of message.toolCalls)
      total += PER_MESSAGE_OVERHEAD + Buffer.byteLength(call.name) + Buffer.byteLength(call.argumentsJson);
  }
  for (const tool of request.tools) {
    total +=
      PER_MESSAGE_OVERHEAD +
      Buffer.byteLength(tool.name) +
      Buffer.byteLength(tool.description) +
      Buffer.byteLength(tool.parametersJsonSchema);
  }
  return total;
}
