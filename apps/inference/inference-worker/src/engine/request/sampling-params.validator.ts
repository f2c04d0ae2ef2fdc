// Owns checking a request's shape and sampling parameters before any work is queued, reporting every
// bad field at once by its public name, and filling in defaults (llama-server's, which suit small
// local models better than OpenAI's temperature 1 / top_p 1).
import { randomInt } from 'node:crypto';

import { FieldProblem, InvalidRequestError } from '../engine.errors';
import { FIELD, GenerationRequest, RequestPriority } from '../generation.types';

export const SAMPLING_DEFAULTS = {
  temperature: 0.8,
  topP: 0.95,
  topK: 40,
  minP: 0.05,
  repetitionPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
} as const;

export const MAX_STOP_SEQUENCES = 4;
export const MAX_STOP_LENGTH = 256;
const MAX_SEED = 0xffff_ffff;

export interface ResolvedSampling {
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly minP: number;
  readonly seed: number;
  readonly repetitionPenalty: number;
  readonly frequencyPenalty: number;
  readonly presencePenalty: number;
  /** undefined: until the context is full. */
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
}

export interface ValidatedRequest {
  readonly sampling: ResolvedSampling;
  readonly priority: RequestPriority;
}

const PRIORITIES: readonly RequestPriority[] = ['high', 'normal', 'low'];
const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

export function validateRequest(request: GenerationRequest): ValidatedRequest {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string): void => void problems.push({ field, message });

  checkInput(request, problem);

  const s = request.sampling ?? {};
  const num = (
    field: string,
    value: number | undefined,
    min: number,
    max: number,
    opts: { integer?: boolean; minExclusive?: boolean } = {},
  ): void => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return problem(field, 'must be a finite number');
    if (opts.integer && !Number.isInteger(value)) return problem(field, 'must be an integer');
    if (opts.minExclusive ? value <= min : value < min)
      return problem(field, `must be ${opts.minExclusive ? 'greater than' : 'at least'} ${min}`);
    if (value > max) return problem(field, `must be at most ${max}`);
  };
  num(FIELD.temperature, s.temperature, 0, 2);
  num(FIELD.topP, s.topP, 0, 1, { minExclusive: true });
  num(FIELD.topK, s.topK, 0, 1_000_000, { integer: true });
  num(FIELD.minP, s.minP, 0, 1);
  num(FIELD.seed, s.seed, 0, MAX_SEED, { integer: true });
  num(FIELD.repetitionPenalty, s.repetitionPenalty, 0, 2, { minExclusive: true });
  num(FIELD.frequencyPenalty, s.frequencyPenalty, -2, 2);
  num(FIELD.presencePenalty, s.presencePenalty, -2, 2);
  num(FIELD.maxTokens, s.maxTokens, 1, Number.MAX_SAFE_INTEGER, { integer: true });

  if (s.stop !== undefined) {
    if (!Array.isArray(s.stop)) problem(FIELD.stop, 'must be a list of strings');
    else if (s.stop.length > MAX_STOP_SEQUENCES)
      problem(FIELD.stop, `at most ${MAX_STOP_SEQUENCES} stop sequences`);
    else
      s.stop.forEach((stop, i) => {
        if (typeof stop !== 'string' || stop.length === 0)
          problem(`${FIELD.stop}[${i}]`, 'must be a non-empty string');
        else if (stop.length > MAX_STOP_LENGTH)
          problem(`${FIELD.stop}[${i}]`, `must be at most ${MAX_STOP_LENGTH} characters`);
      });
  }

  const format = request.responseFormat;
  if (format !== undefined) {
    if (!['text', 'json_object', 'json_schema'].includes(format.type))
      problem(`${FIELD.responseFormat}.type`, 'must be text, json_object or json_schema');
    else if (
      format.type === 'json_schema' &&
      (typeof format.schema !== 'object' || format.schema === null || Array.isArray(format.schema))
    )
      problem(`${FIELD.jsonSchema}.schema`, 'must be a JSON schema object');
  }

  if (request.priority !== undefined && !PRIORITIES.includes(request.priority))
    problem(FIELD.priority, `must be one of ${PRIORITIES.join(', ')}`);
  if (request.deadlineAt !== undefined && (!Number.isFinite(request.deadlineAt) || request.deadlineAt <= 0))
    problem(FIELD.deadline, 'must be an absolute time in epoch milliseconds');

  if (problems.length > 0) throw new InvalidRequestError(problems);
  return {
    priority: request.priority ?? 'normal',
    sampling: {
      temperature: s.temperature ?? SAMPLING_DEFAULTS.temperature,
      topP: s.topP ?? SAMPLING_DEFAULTS.topP,
      topK: s.topK ?? SAMPLING_DEFAULTS.topK,
      minP: s.minP ?? SAMPLING_DEFAULTS.minP,
      seed: s.seed ?? randomInt(0, MAX_SEED),
      repetitionPenalty: s.repetitionPenalty ?? SAMPLING_DEFAULTS.repetitionPenalty,
      frequencyPenalty: s.frequencyPenalty ?? SAMPLING_DEFAULTS.frequencyPenalty,
      presencePenalty: s.presencePenalty ?? SAMPLING_DEFAULTS.presencePenalty,
      maxTokens: s.maxTokens,
      stop: s.stop ?? [],
    },
  };
}

function checkInput(request: GenerationRequest, problem: (field: string, message: string) => void): void {
  const input = request.input as Partial<{ messages: unknown; prompt: unknown }> | undefined;
  if (input === undefined || input === null || typeof input !== 'object')
    return problem(FIELD.messages, 'messages or prompt is required');
  if ('messages' in input) {
    const messages = input.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      return problem(FIELD.messages, 'must be a non-empty list');
    messages.forEach((m: Partial<{ role: unknown; content: unknown }>, i) => {
      if (!ROLES.has(m?.role as string))
        problem(`${FIELD.messages}[${i}].role`, 'must be system, developer, user or assistant');
      if (typeof m?.content !== 'string') problem(`${FIELD.messages}[${i}].content`, 'must be a string');
    });
    return;
  }
  if (typeof input.prompt !== 'string' || input.prompt.length === 0)
    problem(FIELD.prompt, 'must be a non-empty string');
}
