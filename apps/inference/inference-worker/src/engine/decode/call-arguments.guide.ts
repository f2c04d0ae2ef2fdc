// Owns constraining the arguments of tool calls that the model writes in text (tool_choice auto) to
// the called tool's JSON-schema grammar, the way node-llama-cpp's own chat session does for function
// calls: the guide reads the text as it is sampled, and from the moment a piece of text ends with the
// params prefix of a call of a constrained tool until that call's JSON object closes, the sampler
// runs under the tool's grammar; outside calls the model writes freely. A call whose arguments begin
// in the same token as its params prefix (a token such as `({`) is left unconstrained: a grammar
// cannot be started in the middle of an object.
import type { FunctionCallSyntax } from '../generation.types';
import type { LlamaGrammar, LlamaGrammarEvaluationState } from '../model/node-llama-cpp.module';
import { ToolCallTextParser } from './tool-call-text.parser';

export interface CallArgumentGrammars {
  readonly syntax: FunctionCallSyntax;
  readonly toolNames: readonly string[];
  readonly grammars: ReadonlyMap<string, LlamaGrammar>;
}

export class CallArgumentsGuide {
  private readonly parser: ToolCallTextParser;
  private active: LlamaGrammarEvaluationState | undefined;

  constructor(
    private readonly calls: CallArgumentGrammars,
    private readonly startState: (grammar: LlamaGrammar) => LlamaGrammarEvaluationState,
  ) {
    this.parser = new ToolCallTextParser(calls.syntax, new Set(calls.toolNames));
  }

  /** The grammar state the next token is sampled under, if a constrained call's arguments are open. */
  get evaluationState(): LlamaGrammarEvaluationState | undefined {
    return this.active;
  }

  /** Reads the text of the token just sampled, before the next one is. */
  push(text: string): void {
    if (text === '') return;
    this.parser.push(text);
    if (this.active) {
      if (!this.parser.inCall) this.active = undefined;
      return;
    }
    const tool = this.parser.awaitingArgumentsOf;
    const grammar = tool === undefined ? undefined : this.calls.grammars.get(tool);
    if (grammar) this.active = this.startState(grammar);
  }
}
