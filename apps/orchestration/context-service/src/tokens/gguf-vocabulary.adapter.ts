// Owns counting tokens in process with a model's own vocabulary: the GGUF is loaded vocabulary-only
// (no weights, no context), and a message is rendered with the GGUF's own Jinja chat template exactly
// as the inference worker's Tokenize renders it, so the counts are the worker's. The rendering below
// mirrors the worker (apps/inference/inference-worker: generation/chat-messages.mapper.ts for the text
// of a message, engine/request/chat-prompt.builder.ts for the template); test/token-count.spec.ts
// compares both on the tiny model and the real default chat model and fails on any drift. A GGUF
// without a template (a base model: the gateway's registry names its template) is not loaded here:
// its counts go through the gateway, which sends the registry's template along.
import { commonV1 } from '@hearth/contracts';
import { invalidArgument } from '@hearth/grpc';

import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaModel,
  NodeLlamaCppModule,
} from './node-llama-cpp.loader';

export class GgufVocabulary {
  private constructor(
    private readonly model: LlamaModel,
    private readonly wrapper: ChatWrapper,
    readonly path: string,
  ) {}

  /** The file's vocabulary with its own chat template; undefined when the file carries none. */
  static async load(
    llamaCpp: NodeLlamaCppModule,
    llama: Llama,
    path: string,
  ): Promise<GgufVocabulary | undefined> {
    const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
    const template = model.fileInfo.metadata.tokenizer?.chat_template;
    if (typeof template !== 'string' || template.trim() === '') {
      await model.dispose();
      return undefined;
    }
    // As the worker renders: the template as written (resolveChatWrapper would swap in a built-in
    // look-alike that adds or drops tokens the template does not write).
    const wrapper = new llamaCpp.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer });
    return new GgufVocabulary(model, wrapper, path);
  }

  /** Tokens of a one-message prompt: the template around the message and the opened answer turn. */
  countMessage(message: commonV1.ChatMessage): number {
    const history: ChatHistoryItem[] = [historyItem(message)];
    if (message.role !== commonV1.Role.ROLE_ASSISTANT) history.push({ type: 'model', response: [] });
    const { contextText } = this.wrapper.generateContextState({ chatHistory: history });
    return contextText.tokenize(this.model.tokenizer).length;
  }

  /** Tokens of raw text, as the worker tokenizes a raw prompt (no template, no BOS). */
  countText(text: string): number {
    return this.model.tokenize(text, false).length;
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

/** The worker's text of a message: tool calls after an assistant's content, tool results labelled. */
function historyItem(message: commonV1.ChatMessage): ChatHistoryItem {
  const texts = (message.content ?? []).map((part, j) => {
    if (part.text != null) return part.text;
    if (part.refusal != null) return part.refusal;
    throw invalidArgument(`content[${j}]: only text parts are supported by this model`);
  });
  let content = texts.join('');
  switch (message.role) {
    case commonV1.Role.ROLE_ASSISTANT: {
      const calls = message.toolCalls.map(
        (call) => `[tool call ${call.id}: ${call.name}(${call.argumentsJson || '{}'})]`,
      );
      content = [content, ...calls].filter(Boolean).join('\n');
      return { type: 'model', response: [content] };
    }
    case commonV1.Role.ROLE_TOOL:
      if (!message.toolCallId) throw invalidArgument('tool_call_id is required for tool messages');
      content = `[tool result for ${message.toolCallId}${message.name ? ` (${message.name})` : ''}]\n${content}`;
      return { type: 'user', text: content };
    case commonV1.Role.ROLE_USER:
      return { type: 'user', text: content };
    case commonV1.Role.ROLE_SYSTEM:
    case commonV1.Role.ROLE_DEVELOPER:
      return { type: 'system', text: content };
    default:
      throw invalidArgument('role must be system, developer, user, assistant or tool');
  }
}
