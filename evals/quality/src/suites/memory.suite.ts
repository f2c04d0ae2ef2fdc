// Multi-turn memory: a fact stated in turn 1 of a server-side conversation (conversation_id), then
// enough unrelated turns that the hot window no longer holds turn 1 and a rolling summary stands in
// for it, then a question about the fact. Summaries are written in the background after a block of
// turns, so after the fillers more of them are sent (at most MAX_EXTRA_FILLERS) until the last
// filler's trace shows a summary in place of turn 1: the question then meets the same setting. The last turn's trace proves the setting: a summary item in
// the prompt and turn 1's text nowhere verbatim. Passed (score 1): the answer holds the fact and the
// trace shows it came through the summary; a case whose trace still shows turn 1 verbatim scores 0,
// because it did not test memory.
import { traceText, type TurnTrace } from '../client/eval-api.client';
import type { ChatOutcome } from '../client/eval-api.client';
import type { EvalCase, Suite } from '../eval.types';
import { matchesAny, normalize } from '../graders/text.grader';
import { failedCase, loadData, resultOf, turn } from './suite.helpers';

interface MemoryCase extends EvalCase {
  readonly fact: string;
  readonly question: string;
  readonly expect: readonly string[];
}

const data = loadData<{ fillers: string[]; cases: MemoryCase[] }>('memory.cases.json');
const MAX_TOKENS = 24;
const MAX_EXTRA_FILLERS = 6;
const SUMMARY_LAYERS = new Set<unknown>([3, 'CONTEXT_LAYER_SUMMARY']);

export function memorySuite(): Suite<MemoryCase> {
  return {
    name: 'memory',
    cases: data.cases,
    async run(c, ctx) {
      try {
        const conversationId = await ctx.api.createConversation(`eval memory ${c.id}`);
        const turns: ChatOutcome[] = [];
        const say = async (content: string) =>
          turns.push(
            await turn(ctx, [{ role: 'user', content }], {
              max_tokens: MAX_TOKENS,
              conversation_id: conversationId,
            }),
          );
        await say(c.fact);
        for (const filler of data.fillers) await say(filler);
        for (let extra = 0; extra < MAX_EXTRA_FILLERS; extra++) {
          if (summaryReplaced(await ctx.api.lastTurnTrace(conversationId), c.fact)) break;
          await say(data.fillers[extra % data.fillers.length] as string);
        }
        await say(c.question);
        const answer = turns[turns.length - 1];
        const trace = await ctx.api.lastTurnTrace(conversationId);
        const recalled = matchesAny(answer.text, c.expect);
        const summarized = summaryReplaced(trace, c.fact);
        return resultOf('memory', c.id, ctx, turns, {
          score: Number(recalled && summarized),
          passed: recalled && summarized,
          checks: { recalled, summarized },
        });
      } catch (error) {
        return failedCase('memory', c.id, ctx, error);
      }
    },
  };
}

/** A summary item is in the prompt, and the fact's own message is not. */
export function summaryReplaced(trace: TurnTrace, fact: string): boolean {
  const prompt = trace.rounds?.[0]?.prompt ?? [];
  const hasSummary = prompt.some((item) => SUMMARY_LAYERS.has(item.provenance?.layer));
  const factText = normalize(fact);
  const verbatim = prompt.some(
    (item) => !SUMMARY_LAYERS.has(item.provenance?.layer) && normalize(traceText(item)).includes(factText),
  );
  return hasSummary && !verbatim;
}
