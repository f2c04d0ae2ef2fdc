// Owns turning a request's messages into prompt tokens with the model's own chat template (resolved
// by node-llama-cpp from the GGUF's tokenizer.chat_template and architecture), and the template's
// end-of-turn markers into stop conditions. Message text is tokenized as plain text, so a user
// cannot smuggle control tokens such as <end_of_turn> into the prompt.
import { ChatFunction, ChatMessage, FunctionCallSyntax, PromptInput } from '../generation.types';
import {
  loadNodeLlamaCpp,
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  type NodeLlamaCpp,
  type Token,
} from '../model/node-llama-cpp.module';

export interface RenderedPrompt {
  readonly tokens: Token[];
  /** Template markers that arrive as ordinary text; matched like stop sequences, never emitted. */
  readonly stopStrings: readonly string[];
  /** Control tokens that end the turn without being end-of-generation tokens in the vocabulary. */
  readonly stopTokens: ReadonlySet<Token>;
}

type Triggers = { readonly strings: readonly string[]; readonly tokens: ReadonlySet<Token> };

export class ChatPromptBuilder {
  private constructor(
    private readonly llamaCpp: NodeLlamaCpp,
    private readonly model: LlamaModel,
    private readonly wrapper: ChatWrapper,
    private readonly triggers: Triggers,
    /** undefined when the template's call syntax involves control tokens (not parseable from text). */
    readonly functionCallSyntax: FunctionCallSyntax | undefined,
  ) {}

  static async create(model: LlamaModel): Promise<ChatPromptBuilder> {
    const llamaCpp = await loadNodeLlamaCpp();
    const wrapper = llamaCpp.resolveChatWrapper(model);
    const probe = wrapper.generateContextState({
      chatHistory: [
        { type: 'user', text: '' },
        { type: 'model', response: [] },
      ],
    });
    const strings: string[] = [];
    const tokens = new Set<Token>();
    for (const trigger of probe.stopGenerationTriggers) {
      const values = trigger.values;
      if (values.every((v) => typeof v === 'string')) {
        const text = values.join('');
        if (text.length > 0) strings.push(text);
        continue;
      }
      const first = values[0];
      if (first instanceof llamaCpp.SpecialToken || first instanceof llamaCpp.SpecialTokensText) {
        const token = trigger.tokenize(model.tokenizer)[0];
        if (token !== undefined && !model.isEogToken(token)) tokens.add(token);
      }
    }
    return new ChatPromptBuilder(
      llamaCpp,
      model,
      wrapper,
      { strings, tokens },
      plainCallSyntax(llamaCpp, wrapper),
    );
  }

  /** The chat template in use, e.g. "Gemma", "ChatML" or "JinjaTemplate". */
  get templateName(): string {
    return this.wrapper.wrapperName;
  }

  render(input: PromptInput): RenderedPrompt {
    if ('messages' in input) {
      const functions = this.functionCallSyntax && input.functions?.length ? input.functions : undefined;
      const { contextText } = this.wrapper.generateContextState({
        chatHistory: toChatHistory(input.messages),
        availableFunctions: functions && toAvailableFunctions(functions),
        documentFunctionParams: functions !== undefined,
      });
      return {
        tokens: contextText.tokenize(this.model.tokenizer),
        stopStrings: this.triggers.strings,
        stopTokens: this.triggers.tokens,
      };
    }
    const { LlamaText, SpecialToken } = this.llamaCpp;
    const text = this.model.tokens.shouldPrependBosToken
      ? LlamaText([new SpecialToken('BOS'), input.prompt])
      : LlamaText(input.prompt);
    return { tokens: text.tokenize(this.model.tokenizer), stopStrings: [], stopTokens: new Set() };
  }
}

/** A trailing assistant message is continued (prefilled), otherwise a new model turn is opened. */
function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) => {
    if (m.role === 'assistant') return { type: 'model', response: [m.content] };
    if (m.role === 'user') return { type: 'user', text: m.content };
    return { type: 'system', text: m.content };
  });
  if (messages[messages.length - 1]?.role !== 'assistant') history.push({ type: 'model', response: [] });
  return history;
}

type AvailableFunctions = NonNullable<
  Parameters<ChatWrapper['generateContextState']>[0]['availableFunctions']
>;

function toAvailableFunctions(functions: readonly ChatFunction[]): AvailableFunctions {
  return Object.fromEntries(
    functions.map((f) => [
      f.name,
      // The parameters arrive as plain JSON; node-llama-cpp's schema type only narrows it.
      { description: f.description, params: f.parameters as AvailableFunctions[string]['params'] },
    ]),
  );
}

/** The wrapper's call syntax as plain strings, or undefined when a part of it is a control token. */
function plainCallSyntax(llamaCpp: NodeLlamaCpp, wrapper: ChatWrapper): FunctionCallSyntax | undefined {
  const call = wrapper.settings.functions.call;
  const plain = (part: typeof call.prefix): string | undefined => {
    const text = llamaCpp.LlamaText(part);
    const textual = text.values.every(
      (v) => typeof v === 'string' || v instanceof llamaCpp.SpecialTokensText,
    );
    return textual ? text.toString() : undefined;
  };
  const prefix = plain(call.prefix);
  const paramsPrefix = plain(call.paramsPrefix);
  const suffix = plain(call.suffix);
  if (!prefix?.trim() || paramsPrefix === undefined || suffix === undefined) return undefined;
  return { prefix, paramsPrefix, suffix };
}
