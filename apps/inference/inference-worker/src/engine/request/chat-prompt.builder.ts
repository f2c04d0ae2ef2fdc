// Owns turning a request's messages into prompt tokens with a chat template, and the template's
// end-of-turn markers into stop conditions. The template is the GGUF's own tokenizer.chat_template,
// rendered as written by node-llama-cpp's Jinja engine: resolveChatWrapper would swap a template it
// deems equivalent for a built-in wrapper (SmolLM2's ChatML template then loses its default system
// prompt and gains a BOS the template never writes), so it is not used. A GGUF without a template
// takes the one the gateway's registry names for it, per request; without either, chat requests fail
// (FAILED_PRECONDITION) rather than fall back to a guessed format: a base model prompted in a format it
// never saw answers with the question itself. Message text is tokenized as plain text, so a user
// cannot smuggle control tokens such as <|im_end|> into the prompt.
import { LRUCache } from 'lru-cache';

import { ChatTemplateError, InvalidRequestError } from '../engine.errors';
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

/** One template made ready to render: its wrapper, stop triggers and plain-text call syntax. */
interface TemplateProfile {
  readonly wrapper: ChatWrapper;
  readonly stopStrings: readonly string[];
  readonly stopTokens: ReadonlySet<Token>;
  /** undefined when the template's call syntax involves control tokens (not parseable from text). */
  readonly functionCallSyntax: FunctionCallSyntax | undefined;
}

/** Registry templates kept compiled; a registry names one per model, so a handful is plenty. */
const REQUEST_TEMPLATES_KEPT = 8;

export class ChatPromptBuilder {
  private readonly requestTemplates = new LRUCache<string, TemplateProfile>({ max: REQUEST_TEMPLATES_KEPT });

  private constructor(
    private readonly llamaCpp: NodeLlamaCpp,
    private readonly model: LlamaModel,
    /** The GGUF's own template; undefined when the file carries none. */
    private readonly own: TemplateProfile | undefined,
  ) {}

  static async create(model: LlamaModel): Promise<ChatPromptBuilder> {
    const llamaCpp = await loadNodeLlamaCpp();
    const template = model.fileInfo.metadata.tokenizer?.chat_template;
    const own =
      typeof template === 'string' && template.trim() !== ''
        ? compileProfile(llamaCpp, model, template, 'the GGUF')
        : undefined;
    return new ChatPromptBuilder(llamaCpp, model, own);
  }

  /** Whether the GGUF carries its own chat template (reported in Stats for the gateway's check). */
  get hasOwnTemplate(): boolean {
    return this.own !== undefined;
  }

  /** "gguf" (the file's own template) or "none" (requests must bring the registry's). */
  get templateName(): 'gguf' | 'none' {
    return this.own ? 'gguf' : 'none';
  }

  /**
   * The call syntax of the template a request renders with, or undefined (tool_choice auto then
   * generates plain text); a template problem is left for render() to report.
   */
  functionCallSyntax(chatTemplate: string | undefined): FunctionCallSyntax | undefined {
    try {
      return this.profileFor(chatTemplate).functionCallSyntax;
    } catch {
      return undefined;
    }
  }

  render(input: PromptInput): RenderedPrompt {
    if ('messages' in input) {
      const profile = this.profileFor(input.chatTemplate);
      const functions = profile.functionCallSyntax && input.functions?.length ? input.functions : undefined;
      const { contextText } = renderWithTools(functions !== undefined, () =>
        profile.wrapper.generateContextState({
          chatHistory: toChatHistory(input.messages),
          availableFunctions: functions && toAvailableFunctions(functions),
          documentFunctionParams: functions !== undefined,
        }),
      );
      return {
        tokens: contextText.tokenize(this.model.tokenizer),
        stopStrings: profile.stopStrings,
        stopTokens: profile.stopTokens,
      };
    }
    const { LlamaText, SpecialToken } = this.llamaCpp;
    const text = this.model.tokens.shouldPrependBosToken
      ? LlamaText([new SpecialToken('BOS'), input.prompt])
      : LlamaText(input.prompt);
    return { tokens: text.tokenize(this.model.tokenizer), stopStrings: [], stopTokens: new Set() };
  }

  private profileFor(chatTemplate: string | undefined): TemplateProfile {
    const requested = chatTemplate?.trim() ? chatTemplate : undefined;
    if (this.own) {
      if (requested !== undefined)
        throw new ChatTemplateError(
          'the request names a chat template, but the model file carries its own and that one is used: ' +
            "remove the model's chatTemplate from the gateway's registry",
        );
      return this.own;
    }
    if (requested === undefined)
      throw new ChatTemplateError(
        'the model file has no chat template (tokenizer.chat_template) and the request names none: ' +
          "give the model a chatTemplate in the gateway's registry",
      );
    let profile = this.requestTemplates.get(requested);
    if (!profile) {
      profile = compileProfile(this.llamaCpp, this.model, requested, 'the registry');
      this.requestTemplates.set(requested, profile);
    }
    return profile;
  }
}

function compileProfile(
  llamaCpp: NodeLlamaCpp,
  model: LlamaModel,
  template: string,
  source: string,
): TemplateProfile {
  let wrapper: ChatWrapper;
  try {
    wrapper = new llamaCpp.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer });
  } catch (error) {
    throw new ChatTemplateError(
      `the chat template from ${source} cannot be rendered: ${(error as Error).message}`,
    );
  }
  const probe = wrapper.generateContextState({
    chatHistory: [
      { type: 'user', text: '' },
      { type: 'model', response: [] },
    ],
  });
  const stopStrings: string[] = [];
  const stopTokens = new Set<Token>();
  for (const trigger of probe.stopGenerationTriggers) {
    const values = trigger.values;
    if (values.every((v) => typeof v === 'string')) {
      const text = values.join('');
      if (text.length > 0) stopStrings.push(text);
      continue;
    }
    const first = values[0];
    if (first instanceof llamaCpp.SpecialToken || first instanceof llamaCpp.SpecialTokensText) {
      const token = trigger.tokenize(model.tokenizer)[0];
      if (token !== undefined && !model.isEogToken(token)) stopTokens.add(token);
    }
  }
  return { wrapper, stopStrings, stopTokens, functionCallSyntax: plainCallSyntax(llamaCpp, wrapper) };
}

/**
 * Renders a prompt; with tools, a throw while documenting their parameters is the request's fault (a
 * schema node-llama-cpp cannot read, e.g. a property that is null), not the worker's: an INTERNAL
 * here made the gateway retry every worker and eject them.
 */
function renderWithTools<T>(withTools: boolean, render: () => T): T {
  try {
    return render();
  } catch (error) {
    if (!withTools || !(error instanceof TypeError)) throw error;
    throw InvalidRequestError.of(
      'tools',
      `a tool's parameters are not a usable JSON Schema: ${error.message}`,
    );
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
