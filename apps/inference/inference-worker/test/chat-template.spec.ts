// Medium: where a chat prompt's template comes from, on whole workers serving tiny GGUFs. A file with
// its own template is rendered exactly as that Jinja template writes it (no built-in look-alike); a
// file without one takes the registry's template from the request; anything else is refused with
// FAILED_PRECONDITION instead of a guessed format.
import { inferenceV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';
import { CHATML_TEMPLATE } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { ChatPromptBuilder } from '../src/engine/request/chat-prompt.builder';
import { generate, startTinyWorker, textOf, userMessage, WorkerFixture } from './worker-grpc.fixtures';

jest.setTimeout(60_000);

const REPLY = 'Hello big world';
// Like SmolLM2's template: a default system prompt when the conversation brings none, and no BOS.
const DEFAULT_SYSTEM_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}" +
  CHATML_TEMPLATE.slice('{% for message in messages %}'.length);
const greedy = { temperature: 0, maxTokens: 16, stop: [] };

const tokenize = (fixture: WorkerFixture, request: Partial<inferenceV1.TokenizeRequest>) =>
  fixture.client.tokenize({
    modelId: 'tiny',
    text: '',
    messages: [],
    tools: [],
    returnTokenIds: true,
    chatTemplate: '',
    ...request,
  });

const stats = (fixture: WorkerFixture) => fixture.client.stats({});

/** The typed client's error for a refused call: its status code, stable reason and message. */
async function grpcCode(call: Promise<unknown>): Promise<{ code: number; reason: string; details: string }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof GrpcError)) throw error;
    return { code: error.code, reason: error.reason, details: error.message };
  }
  throw new Error('the call succeeded');
}

describe(ChatPromptBuilder.name, () => {
  describe('a GGUF with its own chat template', () => {
    let fixture: WorkerFixture;

    beforeAll(async () => {
      fixture = await startTinyWorker({}, { reply: REPLY, chatTemplate: DEFAULT_SYSTEM_TEMPLATE });
    });

    afterAll(() => fixture?.close());

    it('renders messages exactly as the Jinja template writes them, default system prompt included', async () => {
      const rendered =
        '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n';
      const viaTemplate = await tokenize(fixture, { messages: [userMessage('hi')] });
      // The same text with its control tokens parsed as such: the template adds nothing else (no BOS).
      const expected = fixture.worker.engine.tokenize(rendered, { specialTokens: true });

      expect(viaTemplate.tokenIds).toEqual(expected);
      expect(await stats(fixture)).toMatchObject({ hasChatTemplate: true });
      expect(
        textOf(await generate(fixture.client, { messages: [userMessage('hi')], sampling: greedy })),
      ).toBe(REPLY);
    });

    it('keeps control tokens typed by a user as text', async () => {
      const { tokenIds } = await tokenize(fixture, { messages: [userMessage('<|im_end|>')] });
      const imEnd = fixture.worker.engine.tokenize('<|im_end|>', { specialTokens: true })[0];

      // One <|im_end|> per rendered turn (system, user), none from the user's text.
      expect(tokenIds.filter((id) => id === imEnd)).toHaveLength(2);
    });

    it('refuses a request that names a template although the file has its own', async () => {
      const refused = await grpcCode(
        generate(fixture.client, {
          messages: [userMessage('hi')],
          chatTemplate: CHATML_TEMPLATE,
          sampling: greedy,
        }),
      );

      expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'CHAT_TEMPLATE_UNUSABLE' });
      expect(refused.details).toMatch(/carries its own/);
    });
  });

  describe('a GGUF without a chat template', () => {
    let fixture: WorkerFixture;

    beforeAll(async () => {
      fixture = await startTinyWorker({}, { reply: REPLY, chatTemplate: null });
    });

    afterAll(() => fixture?.close());

    it('says so in Stats', async () => {
      expect(await stats(fixture)).toMatchObject({ hasChatTemplate: false });
      expect(fixture.worker.engine.info.chatTemplate).toBe('none');
    });

    it('renders chat with the template the request brings', async () => {
      const messages = await generate(fixture.client, {
        messages: [userMessage('hi')],
        chatTemplate: CHATML_TEMPLATE,
        sampling: greedy,
      });
      const counted = await tokenize(fixture, {
        messages: [userMessage('hi')],
        chatTemplate: CHATML_TEMPLATE,
      });

      expect(textOf(messages)).toBe(REPLY);
      expect(messages[messages.length - 1].usage?.promptTokens).toBe(counted.tokenIds.length);
    });

    it('refuses chat without a template, and still serves a raw prompt', async () => {
      const refused = await grpcCode(
        generate(fixture.client, { messages: [userMessage('hi')], sampling: greedy }),
      );
      const tokenizeRefused = await grpcCode(tokenize(fixture, { messages: [userMessage('hi')] }));
      const raw = await generate(fixture.client, { prompt: 'hello\n', sampling: greedy });

      expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'CHAT_TEMPLATE_UNUSABLE' });
      expect(refused.details).toMatch(/no chat template .* chatTemplate in the gateway's registry/);
      expect(tokenizeRefused.code).toBe(status.FAILED_PRECONDITION);
      expect(textOf(raw)).toBe(REPLY);
    });

    it('refuses a template that does not parse', async () => {
      const refused = await grpcCode(
        generate(fixture.client, {
          messages: [userMessage('hi')],
          chatTemplate: '{% for message in messages %}',
          sampling: greedy,
        }),
      );

      expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'CHAT_TEMPLATE_UNUSABLE' });
      expect(refused.details).toMatch(/cannot be rendered/);
    });
  });
});
