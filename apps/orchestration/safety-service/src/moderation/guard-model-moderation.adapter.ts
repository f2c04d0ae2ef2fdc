// The model-backed moderation adapter: each text (in chunks of at most GUARD_MAX_CHARS) is judged by
// a guard model through the model gateway (Generate, temperature 0, a few tokens), and every category
// its answer names becomes a detection spanning the chunk. A text the guard cannot judge (deadline,
// gateway error, an answer that is neither "safe" nor "unsafe") is moderated by the rules instead,
// with a warning: degrade, don't fail the turn. Rule ids say which adapter decided
// (`moderation.guard.*` or `moderation.rules.*`), so audit shows when the fallback was used.
import { commonV1, type gatewayV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { Detection, ModerationCategory } from '../detectors/detection.model';
import type { TextGenerator } from '../gateway/model-gateway.client';
import { buildGuardPrompt, parseGuardVerdict } from './guard-prompt';
import type { ModerationContext, ModerationPort } from './moderation.port';
import type { RuleModerationAdapter } from './rule-moderation.adapter';

/** Characters of one guard call; longer texts are judged in chunks (bounded by SAFETY_MAX_INPUT_BYTES). */
export const GUARD_MAX_CHARS = 8_000;
/** Guard calls in flight for one check. */
const CONCURRENCY = 4;
/** "unsafe\nS1,S10" fits easily; a model that rambles is cut short and judged on its first words. */
const GUARD_MAX_TOKENS = 16;

export interface GuardModelOptions {
  readonly gateway: TextGenerator;
  readonly model: string;
  readonly timeoutMs: number;
  readonly fallback: RuleModerationAdapter;
  readonly logger: Logger;
}

export class GuardModelModerationAdapter implements ModerationPort {
  readonly kind = 'guard';

  constructor(private readonly options: GuardModelOptions) {}

  async moderate(texts: readonly string[], context: ModerationContext): Promise<Detection[][]> {
    const jobs = texts.flatMap((text, textIndex) =>
      chunksOf(text).map((chunk, chunkIndex) => ({ textIndex, chunkIndex, ...chunk })),
    );
    const verdicts = await mapBounded(jobs, CONCURRENCY, (job) =>
      this.judge(
        job.text,
        `${context.requestId || 'unknown'}:guard:${context.stage}:${job.textIndex}:${job.chunkIndex}`,
        context,
      ),
    );
    return texts.map((text, textIndex) => {
      const own = jobs
        .map((job, k) => ({ job, verdict: verdicts[k] }))
        .filter((j) => j.job.textIndex === textIndex);
      if (own.some((j) => j.verdict instanceof Error)) {
        const error = own.find((j) => j.verdict instanceof Error)?.verdict as Error;
        this.options.logger.warn(
          { err: error, requestId: context.requestId, model: this.options.model, stage: context.stage },
          'the guard model could not judge a text; moderated by the rules instead',
        );
        return this.options.fallback.detect(text);
      }
      return own.flatMap(({ job, verdict }) =>
        (verdict as ModerationCategory[]).map((category) => guardDetection(category, job.start, job.end)),
      );
    });
  }

  private async judge(
    text: string,
    requestId: string,
    context: ModerationContext,
  ): Promise<ModerationCategory[] | Error> {
    const request: gatewayV1.GenerateRequest = {
      caller: context.caller,
      requestId,
      model: this.options.model,
      messages: [
        {
          role: commonV1.Role.ROLE_USER,
          content: [{ text: buildGuardPrompt(text, context.stage) }],
          name: '',
          toolCalls: [],
          toolCallId: '',
        },
      ],
      prompt: '',
      sampling: { temperature: 0, maxTokens: GUARD_MAX_TOKENS, stop: [] },
      responseFormat: null,
      tools: [],
      toolChoice: null,
      // The check is on the path of a user's turn.
      priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
      cacheSalt: '',
      deadline: null,
      bypassCache: false,
    };
    try {
      return parseGuardVerdict(
        await this.options.gateway.generateText(request, Date.now() + this.options.timeoutMs),
      );
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}

function guardDetection(category: ModerationCategory, start: number, end: number): Detection {
  return { ruleId: `moderation.guard.${category}`, category, start, end, label: category.toUpperCase() };
}

/** Pieces of at most GUARD_MAX_CHARS, cut at whitespace where possible. */
function chunksOf(text: string): { text: string; start: number; end: number }[] {
  if (text.length === 0) return [];
  const chunks: { text: string; start: number; end: number }[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + GUARD_MAX_CHARS);
    if (end < text.length) {
      const cut = text.lastIndexOf(' ', end);
      if (cut > start + GUARD_MAX_CHARS / 2) end = cut;
    }
    chunks.push({ text: text.slice(start, end), start, end });
    start = end;
  }
  return chunks;
}

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
