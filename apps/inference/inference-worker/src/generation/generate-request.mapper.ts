// Owns turning a wire GenerateRequest into the engine's GenerationRequest: input, sampling (unset
// optional fields stay unset so the engine's defaults apply), response format, priority, cache salt,
// the earlier of the request's deadline and the call's, and the tool plan. Problems are collected and
// reported together, named by their public (snake_case) field names.
import { randomUUID } from 'node:crypto';

import { commonV1, inferenceV1, prefixFingerprint, reportedPrefix } from '@hearth/contracts';

import { FieldProblem, InvalidRequestError } from '../engine/engine.errors';
import {
  FunctionCallSyntax,
  GenerationRequest,
  PromptInput,
  RequestPriority,
  ResponseFormat,
  SamplingOptions,
} from '../engine/generation.types';
import { toEngineMessages } from './chat-messages.mapper';
import { outputSchemaOf, planTools, toolInstruction, ToolPlan } from './tool-choice.planner';

export interface MappedGenerateRequest {
  readonly request: GenerationRequest;
  readonly toolPlan: ToolPlan;
}

const PRIORITIES: Partial<Record<commonV1.PriorityTier, RequestPriority>> = {
  [commonV1.PriorityTier.PRIORITY_TIER_HIGH]: 'high',
  [commonV1.PriorityTier.PRIORITY_TIER_NORMAL]: 'normal',
  [commonV1.PriorityTier.PRIORITY_TIER_LOW]: 'low',
};

export interface MapOptions {
  /** The gRPC call's deadline (epoch ms; Infinity when the caller set none). */
  readonly callDeadline?: number;
  readonly signal?: AbortSignal;
  /** The chat template's function syntax; without one, tool_choice auto generates plain text. */
  readonly functionCallSyntax?: FunctionCallSyntax;
}

export function toGenerationRequest(
  wire: inferenceV1.GenerateRequest,
  options: MapOptions = {},
): MappedGenerateRequest {
  const toolPlan = effectiveToolPlan(wire, options.functionCallSyntax);
  const input = toPromptInput(wire, toolPlan);
  const requestDeadline = wire.deadline == null ? undefined : wire.deadline.getTime();
  const deadlines = [requestDeadline, options.callDeadline].filter(
    (d): d is number => d !== undefined && Number.isFinite(d),
  );
  const toolCallArguments =
    toolPlan.kind === 'auto' && options.functionCallSyntax
      ? {
          syntax: options.functionCallSyntax,
          toolNames: toolPlan.tools.map((t) => t.name),
          schemas: new Map(toolPlan.tools.filter((t) => t.strict).map((t) => [t.name, t.parameters])),
        }
      : undefined;
  const responseFormat =
    toolPlan.kind === 'text' || toolPlan.kind === 'auto'
      ? toResponseFormat(wire.responseFormat)
      : ({ type: 'json_schema', schema: outputSchemaOf(toolPlan) } satisfies ResponseFormat);
  return {
    toolPlan,
    request: {
      requestId: wire.requestId || randomUUID(),
      input,
      sampling: toSampling(wire.sampling),
      responseFormat,
      toolCallArguments,
      priority: PRIORITIES[wire.priority],
      cacheSalt: wire.cacheSalt || undefined,
      // Hashed from the wire request exactly as the gateway hashes what it sends.
      heldPrefix: reportedPrefix(prefixFingerprint(wire)),
      deadlineAt: deadlines.length > 0 ? Math.min(...deadlines) : undefined,
      signal: options.signal,
    },
  };
}

/** The request's tool plan, with auto falling back to plain text when the template cannot express calls. */
export function effectiveToolPlan(
  wire: Pick<inferenceV1.GenerateRequest, 'tools' | 'toolChoice' | 'messages'>,
  functionCallSyntax: FunctionCallSyntax | undefined,
): ToolPlan {
  const plan = planTools(wire.tools ?? [], wire.toolChoice);
  const rawPrompt = (wire.messages?.length ?? 0) === 0;
  return plan.kind === 'auto' && (functionCallSyntax === undefined || rawPrompt) ? { kind: 'text' } : plan;
}

export function toPromptInput(
  wire: Pick<inferenceV1.GenerateRequest, 'messages' | 'prompt'> &
    Partial<Pick<inferenceV1.GenerateRequest, 'chatTemplate'>>,
  toolPlan: ToolPlan = { kind: 'text' },
): PromptInput {
  const hasMessages = (wire.messages?.length ?? 0) > 0;
  const hasPrompt = (wire.prompt ?? '') !== '';
  if (hasMessages === hasPrompt) {
    const problems: FieldProblem[] = [
      { field: 'messages', message: 'exactly one of messages or prompt must be set' },
      { field: 'prompt', message: 'exactly one of messages or prompt must be set' },
    ];
    throw new InvalidRequestError(problems);
  }
  if (!hasMessages) {
    if (toolPlan.kind === 'forced' || toolPlan.kind === 'any')
      throw InvalidRequestError.of('tool_choice', 'tools can only be forced with messages, not a raw prompt');
    return { prompt: wire.prompt };
  }
  const messages = toEngineMessages(wire.messages);
  // Empty on the wire means "the model file's own template".
  const chatTemplate = wire.chatTemplate || undefined;
  if (toolPlan.kind === 'text') return { messages, chatTemplate };
  if (toolPlan.kind === 'auto')
    return {
      messages,
      chatTemplate,
      functions: toolPlan.tools.map((t) => ({
        name: t.name,
        description: t.description || undefined,
        parameters: t.parameters,
      })),
    };
  return { messages: [toolInstruction(toolPlan), ...messages], chatTemplate };
}

function toSampling(wire: commonV1.SamplingParams | null | undefined): SamplingOptions | undefined {
  if (wire == null) return undefined;
  const opt = (value: number | null | undefined): number | undefined => value ?? undefined;
  return {
    temperature: opt(wire.temperature),
    topP: opt(wire.topP),
    topK: opt(wire.topK),
    minP: opt(wire.minP),
    seed: opt(wire.seed),
    repetitionPenalty: opt(wire.repetitionPenalty),
    frequencyPenalty: opt(wire.frequencyPenalty),
    presencePenalty: opt(wire.presencePenalty),
    maxTokens: opt(wire.maxTokens),
    stop: wire.stop?.length ? wire.stop : undefined,
  };
}

function toResponseFormat(wire: commonV1.ResponseFormat | null | undefined): ResponseFormat | undefined {
  switch (wire?.type) {
    case undefined:
    case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_UNSPECIFIED:
    case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_TEXT:
      return undefined;
    case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
      return { type: 'json_object' };
    case commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA: {
      const field = 'response_format.json_schema.schema';
      let schema: unknown;
      try {
        schema = JSON.parse(wire.schemaJson);
      } catch (error) {
        throw InvalidRequestError.of(field, `is not valid JSON: ${(error as Error).message}`);
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
        throw InvalidRequestError.of(field, 'must be a JSON schema object');
      return {
        type: 'json_schema',
        schema: schema as Record<string, unknown>,
        name: wire.schemaName || undefined,
      };
    }
    default:
      throw InvalidRequestError.of('response_format.type', 'must be text, json_object or json_schema');
  }
}
