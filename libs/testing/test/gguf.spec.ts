// The tiny GGUF model against the real llama.cpp bundled in node-llama-cpp: the file is
// deterministic, loads, tokenizes, generates, chats in ChatML, embeds, and a damaged copy fails
// with an error instead of taking the process down.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Llama, LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };

import { buildTinyGguf, CHATML_TEMPLATE, writeTinyGguf } from '../src/gguf';
import {
  disposeTestLlama,
  getTestLlama,
  importNodeLlamaCpp,
  NodeLlamaCppModule,
  TEST_LLAMA_THREADS,
} from '../src/llama';

const CONTEXT = { threads: TEST_LLAMA_THREADS, contextSize: 512 } as const;

// Each step takes well under a second alone; the margin is for a whole-repo run sharing 2 cores.
jest.setTimeout(30_000);

describe(writeTinyGguf.name, () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-gguf-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('file', () => {
    it('is byte-identical for the same seed', async () => {
      const first = join(dir, 'same-a.gguf');
      const second = join(dir, 'same-b.gguf');

      await writeTinyGguf(first, { seed: 7 });
      await writeTinyGguf(second, { seed: 7 });

      expect((await readFile(first)).equals(await readFile(second))).toBe(true);
    });

    it('has the same layout but other weights for another seed', () => {
      const sut = buildTinyGguf({ seed: 7 });
      const other = buildTinyGguf({ seed: 8 });

      expect(other.bytes.length).toBe(sut.bytes.length);
      expect(other.bytes.equals(sut.bytes)).toBe(false);
    });

    it('rejects hyperparameters llama.cpp cannot run', () => {
      expect(() => buildTinyGguf({ embeddingLength: 64, headCount: 5 })).toThrow(/must divide by headCount/);
      expect(() => buildTinyGguf({ headCount: 4, headCountKv: 3 })).toThrow(/headCountKv/);
      expect(() => buildTinyGguf({ blockCount: 0 })).toThrow(/positive integer/);
      expect(() => buildTinyGguf({ seed: -1 })).toThrow(/seed/);
    });

    it('rejects a scripted reply that repeats a word', () => {
      expect(() => buildTinyGguf({ reply: 'no yes and yes' })).toThrow(/unique/);
    });
  });

  describe('in node-llama-cpp', () => {
    let nlc: NodeLlamaCppModule;
    let llama: Llama;
    let modelPath: string;
    let model: LlamaModel;

    beforeAll(async () => {
      nlc = await importNodeLlamaCpp();
      llama = await getTestLlama();
      modelPath = join(dir, 'tiny.gguf');
      await writeTinyGguf(modelPath, { seed: 1 });
      model = await llama.loadModel({ modelPath });
    });

    afterAll(async () => {
      await llama?.dispose();
    });

    it('reports the metadata it was written with', async () => {
      const path = join(dir, 'custom.gguf');
      const info = await writeTinyGguf(path, {
        contextLength: 4096,
        embeddingLength: 32,
        blockCount: 3,
        name: 'custom',
      });

      const sut = await llama.loadModel({ modelPath: path });
      const metadata = sut.fileInfo.metadata;

      expect(sut.trainContextSize).toBe(4096);
      expect(sut.embeddingVectorSize).toBe(32);
      expect(metadata.general.architecture).toBe('llama');
      expect(metadata.general.name).toBe('custom');
      expect(metadata.tokenizer.ggml.model).toBe('llama');
      expect(metadata.tokenizer.ggml.tokens).toHaveLength(info.vocabSize);
      expect(sut.fileInsights.totalLayers).toBe(3 + 1);
      expect(sut.tokens.bos).toBe(info.bosTokenId);
      expect(sut.tokens.eos).toBe(info.eosTokenId);
      expect(sut.tokens.eosString).toBe('<|im_end|>');
      expect(sut.isEogToken(info.eosTokenId as Token)).toBe(true);
      await sut.dispose();
    });

    it('tokenizes words into single tokens, anything else into bytes, and detokenizes losslessly', () => {
      const text = 'Hello world, how are you?\nünïcödé 😀 {"ok":true}';

      const tokens = model.tokenize(text);

      expect(model.tokenize('hello world')).toHaveLength(2);
      expect(model.detokenize(tokens)).toBe(text);
    });

    it('keeps special-token text literal unless asked to parse it', () => {
      const text = '<|im_start|>user';

      expect(model.tokenize(text, true)[0]).toBe(model.tokenize('<|im_start|>', true)[0]);
      expect(model.tokenize(text, true)).toHaveLength(2);
      expect(model.tokenize(text, false).length).toBeGreaterThan(2);
    });

    it('generates the requested number of tokens, identically under greedy sampling', async () => {
      const generate = async (): Promise<{ text: string; tokens: Token[]; stopReason: string }> => {
        const context = await model.createContext(CONTEXT);
        try {
          const tokens: Token[] = [];
          const completion = new nlc.LlamaCompletion({ contextSequence: context.getSequence() });
          const { response, metadata } = await completion.generateCompletionWithMeta(
            'The capital of France is',
            {
              maxTokens: 48,
              onToken: (chunk) => void tokens.push(...chunk),
            },
          );
          return { text: response, tokens, stopReason: metadata.stopReason };
        } finally {
          await context.dispose();
        }
      };

      const first = await generate();
      const second = await generate();

      expect(first.tokens).toHaveLength(48);
      expect(first.stopReason).toBe('maxTokens');
      expect(first.text.trim().length).toBeGreaterThan(0);
      expect(second.text).toBe(first.text);
    });

    it('samples identically for the same sampling seed', async () => {
      const context = await model.createContext({ ...CONTEXT, sequences: 2 });
      const sample = (): Promise<string> =>
        new nlc.LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion(
          'Once upon a time',
          {
            maxTokens: 32,
            temperature: 0.9,
            seed: 42,
          },
        );

      // Two sequences decoded in the same batches: sampling must not depend on the neighbour.
      const [first, second] = await Promise.all([sample(), sample()]);

      expect(first.length).toBeGreaterThan(0);
      expect(second).toBe(first);
      await context.dispose();
    });

    it('carries the ChatML template, which node-llama-cpp maps to its ChatML wrapper', async () => {
      const context = await model.createContext(CONTEXT);
      const session = new nlc.LlamaChatSession({ contextSequence: context.getSequence() });
      const history = [{ type: 'user' as const, text: 'Hi' }];

      const rendered = session.chatWrapper.generateContextState({ chatHistory: history }).contextText;

      expect(model.fileInfo.metadata.tokenizer.chat_template).toBe(CHATML_TEMPLATE);
      expect(session.chatWrapper).toBeInstanceOf(nlc.ChatMLChatWrapper);
      expect(rendered.toString()).toContain('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
      await context.dispose();
    });

    it('answers a chat turn with its scripted reply and stops on <|im_end|>', async () => {
      const path = join(dir, 'scripted.gguf');
      await writeTinyGguf(path, { reply: 'Hello from the tiny model.' });
      const scripted = await llama.loadModel({ modelPath: path });
      const context = await scripted.createContext(CONTEXT);
      const session = new nlc.LlamaChatSession({ contextSequence: context.getSequence() });

      const first = await session.promptWithMeta('Hi there', { maxTokens: 32 });
      const second = await session.promptWithMeta('And again?', { maxTokens: 32, temperature: 0.8, seed: 3 });

      expect(first.responseText).toBe('Hello from the tiny model.');
      expect(first.stopReason).toBe('eogToken');
      expect(second.responseText).toBe('Hello from the tiny model.');
      await context.dispose();
      await scripted.dispose();
    });

    it('embeds text deterministically with mean pooling', async () => {
      const path = join(dir, 'embedding.gguf');
      await writeTinyGguf(path, { pooling: 'mean' });
      const embedder = await llama.loadModel({ modelPath: path });
      const context = await embedder.createEmbeddingContext(CONTEXT);

      const a = await context.getEmbeddingFor('hello world');
      const b = await context.getEmbeddingFor('hello world');
      const c = await context.getEmbeddingFor('a different sentence');

      // node-llama-cpp's metadata type has no pooling_type for llama; 1 is LLAMA_POOLING_TYPE_MEAN.
      expect((embedder.fileInfo.metadata.llama as Record<string, unknown>)['pooling_type']).toBe(1);
      expect(a.vector).toHaveLength(64);
      expect(b.vector).toEqual(a.vector);
      expect(a.calculateCosineSimilarity(c)).toBeLessThan(0.999);
      await context.dispose();
      await embedder.dispose();
    });
  });

  // A Llama of its own: failed loads leak a dispose guard in node-llama-cpp 3.22.1 (see
  // disposeTestLlama), which must not stall the healthy Llama above.
  describe('in node-llama-cpp, damaged files', () => {
    let nlc: NodeLlamaCppModule;
    let llama: Llama;
    let bytes: Buffer;
    let healthy: LlamaModel;

    beforeAll(async () => {
      nlc = await importNodeLlamaCpp();
      // Silent: each failed load makes llama.cpp log its reason at error level.
      llama = await getTestLlama({ logLevel: nlc.LlamaLogLevel.disabled });
      const path = join(dir, 'healthy.gguf');
      await writeTinyGguf(path);
      bytes = await readFile(path);
      healthy = await llama.loadModel({ modelPath: path });
    });

    afterAll(async () => {
      if (llama) await disposeTestLlama(llama);
    });

    it.each([
      ['inside the header', 12],
      ['inside the metadata', 4_000],
      ['inside the tensor data', 0.5],
      ['one byte short', -1],
    ])('fails to load a file truncated %s with an error, and keeps working', async (_where, cut) => {
      const end = cut < 0 ? bytes.length + cut : cut < 1 ? Math.floor(bytes.length * cut) : cut;
      const path = join(dir, `truncated-${end}.gguf`);
      await writeFile(path, bytes.subarray(0, end));

      // node-llama-cpp's own GGUF reader rejects the header cut; llama.cpp rejects the others with
      // "Failed to load model" (the reason, e.g. a tensor outside the file, only goes to the log).
      await expect(llama.loadModel({ modelPath: path })).rejects.toThrow();
      expect(healthy.detokenize(healthy.tokenize('still alive'))).toBe('still alive');
    });

    it('rejects a file that is not GGUF at all', async () => {
      const path = join(dir, 'not-a-model.gguf');
      await writeFile(path, 'this is not a model file');

      await expect(llama.loadModel({ modelPath: path })).rejects.toThrow(/GGUF magic/);
    });
  });
});
