// Owns the tiny "llama"-architecture test model: hyperparameters, metadata, tokenizer and seeded
// weights, written as a GGUF file that llama.cpp (as bundled by node-llama-cpp) loads and runs at
// thousands of tokens per second on a CPU, so inference tests need no download and are repeatable.
//
// The weights are random but shaped so the model behaves predictably:
// - the residual stream is dominated by the current token's embedding (attention and FFN write
//   back at a small scale), so the next token is mostly a function of the current one;
// - embedding dimension 0 is a constant that no layer writes to, which gives the output layer a
//   per-token bias: byte, control, single-letter and word-prefix tokens are pushed down, so even
//   sampled text is made of whole words rather than stray bytes;
// - with `reply`, the output rows are chained so that after a newline (the last token of the
//   ChatML generation prompt "<|im_start|>assistant\n") greedy decoding emits the reply one word
//   per token and then <|im_end|> (the EOS token), which gives tests a natural stop.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { gguf, GgufTensor, GgufValue, serializeGguf } from './gguf.serializer';
import { SeededRandom } from './seeded-random.util';
import { buildTinyVocab, byteTokenId, SPM_SPACE, TinyVocab } from './tiny-vocab.builder';

/** The standard ChatML template (the worker renders it as written, with node-llama-cpp's Jinja engine). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/** llama.cpp's enum llama_pooling_type, stored as llama.pooling_type. */
const POOLING_TYPES = { none: 0, mean: 1, cls: 2, last: 3 } as const;
export type TinyGgufPooling = keyof typeof POOLING_TYPES;

export interface TinyGgufOptions {
  /** Weight seed (u32). Same options, same bytes. Default 1. */
  readonly seed?: number;
  /** llama.embedding_length. Default 64. */
  readonly embeddingLength?: number;
  /** llama.block_count. Default 2. */
  readonly blockCount?: number;
  /** llama.attention.head_count. Default 4. */
  readonly headCount?: number;
  /** llama.attention.head_count_kv (grouped-query attention when smaller). Default headCount. */
  readonly headCountKv?: number;
  /** llama.feed_forward_length. Default 128. */
  readonly feedForwardLength?: number;
  /** llama.context_length, the train context size node-llama-cpp reports. Default 2048. */
  readonly contextLength?: number;
  /** general.name. Default "hearth-tiny-llama". */
  readonly name?: string;
  /**
   * Scripted answer: after a newline the model greedily emits these space-separated words (one
   * token each) and then <|im_end|>. Each word (with its leading space) must be unique, because the
   * next token depends only on the current one.
   */
  readonly reply?: string;
  /** Writes llama.pooling_type, for embedding contexts. Omitted by default. */
  readonly pooling?: TinyGgufPooling;
  /** tokenizer.chat_template. Default {@link CHATML_TEMPLATE}; null writes none (a base model's file). */
  readonly chatTemplate?: string | null;
}

export interface TinyGgufInfo {
  readonly name: string;
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** The token ids greedy decoding produces after a newline when `reply` is set (ending in EOS). */
  readonly replyTokenIds: readonly number[];
  readonly byteLength: number;
}

export interface TinyGguf {
  readonly bytes: Buffer;
  readonly info: TinyGgufInfo;
}

// Scales chosen for behaviour, not realism (see the header comment).
const RESIDUAL_SCALE = 0.05;
const OUTPUT_SCALE = 0.45; // normal-token logits get a standard deviation of about 2
const NON_WORD_BIAS = -6; // times the constant dimension: logits near -10 for bytes and controls
const REPLY_LOGIT = 24; // far above any random logit (at most about 8)

/** Builds the GGUF bytes in memory. */
export function buildTinyGguf(options: TinyGgufOptions = {}): TinyGguf {
  const seed = options.seed ?? 1;
  const nEmbd = options.embeddingLength ?? 64;
  const nLayer = options.blockCount ?? 2;
  const nHead = options.headCount ?? 4;
  const nHeadKv = options.headCountKv ?? nHead;
  const nFf = options.feedForwardLength ?? 128;
  const nCtx = options.contextLength ?? 2048;
  const name = options.name ?? 'hearth-tiny-llama';
  validate({ nEmbd, nLayer, nHead, nHeadKv, nFf, nCtx });

  const replyPieces = options.reply === undefined ? undefined : toReplyPieces(options.reply);
  const vocab = buildTinyVocab(replyPieces ?? []);
  const nVocab = vocab.tokens.length;
  const headDim = nEmbd / nHead;
  const nEmbdKv = headDim * nHeadKv;

  const rng = new SeededRandom(seed);
  const random = (length: number, scale: number): Float32Array => {
    const data = new Float32Array(length);
    for (let i = 0; i < length; i++) data[i] = rng.symmetric(scale);
    return data;
  };
  const ones = (length: number): Float32Array => new Float32Array(length).fill(1);
  // Rows that write into the residual stream leave dimension 0 alone, keeping it constant.
  const residualWriter = (nIn: number, scale: number): Float32Array => {
    const data = random(nIn * nEmbd, scale);
    data.fill(0, 0, nIn); // row 0 of a {nIn, nEmbd} matrix is output dimension 0
    return data;
  };

  const tokenEmbd = random(nVocab * nEmbd, 1);
  for (let t = 0; t < nVocab; t++) tokenEmbd[t * nEmbd] = 1;

  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', dims: [nEmbd, nVocab], data: tokenEmbd }];
  for (let l = 0; l < nLayer; l++) {
    const blk = `blk.${l}`;
    const inScale = 1 / Math.sqrt(nEmbd);
    tensors.push(
      { name: `${blk}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${blk}.attn_q.weight`, dims: [nEmbd, nEmbd], data: random(nEmbd * nEmbd, inScale) },
      { name: `${blk}.attn_k.weight`, dims: [nEmbd, nEmbdKv], data: random(nEmbd * nEmbdKv, inScale) },
      { name: `${blk}.attn_v.weight`, dims: [nEmbd, nEmbdKv], data: random(nEmbd * nEmbdKv, inScale) },
      {
        name: `${blk}.attn_output.weight`,
        dims: [nEmbd, nEmbd],
        data: residualWriter(nEmbd, RESIDUAL_SCALE * inScale),
      },
      { name: `${blk}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${blk}.ffn_gate.weight`, dims: [nEmbd, nFf], data: random(nEmbd * nFf, inScale) },
      { name: `${blk}.ffn_up.weight`, dims: [nEmbd, nFf], data: random(nEmbd * nFf, inScale) },
      {
        name: `${blk}.ffn_down.weight`,
        dims: [nFf, nEmbd],
        data: residualWriter(nFf, RESIDUAL_SCALE / Math.sqrt(nFf)),
      },
    );
  }

  const output = random(nVocab * nEmbd, OUTPUT_SCALE / Math.sqrt(nEmbd));
  for (let t = 0; t < nVocab; t++) {
    const row = output.subarray(t * nEmbd, (t + 1) * nEmbd);
    if (vocab.generatable.has(t)) {
      row[0] = 0;
    } else {
      row.fill(0);
      row[0] = NON_WORD_BIAS;
    }
  }
  const replyTokenIds = replyPieces ? chainReply(replyPieces, vocab, tokenEmbd, output, nEmbd) : [];

  tensors.push(
    { name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) },
    { name: 'output.weight', dims: [nEmbd, nVocab], data: output },
  );

  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', gguf.str('llama')],
    ['general.name', gguf.str(name)],
    ['general.file_type', gguf.u32(0)], // LLAMA_FTYPE_ALL_F32
    ['llama.vocab_size', gguf.u32(nVocab)],
    ['llama.context_length', gguf.u32(nCtx)],
    ['llama.embedding_length', gguf.u32(nEmbd)],
    ['llama.block_count', gguf.u32(nLayer)],
    ['llama.feed_forward_length', gguf.u32(nFf)],
    ['llama.attention.head_count', gguf.u32(nHead)],
    ['llama.attention.head_count_kv', gguf.u32(nHeadKv)],
    ['llama.rope.dimension_count', gguf.u32(headDim)],
    ['llama.rope.freq_base', gguf.f32(10000)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(1e-5)],
    ...(options.pooling ? [['llama.pooling_type', gguf.u32(POOLING_TYPES[options.pooling])] as const] : []),
    ['tokenizer.ggml.model', gguf.str('llama')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.scores', gguf.f32s(vocab.scores)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.types)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.special.bos)],
    // <|im_end|> ends a ChatML turn, so it is the EOS token (as in Qwen's ChatML models).
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.special.imEnd)],
    ['tokenizer.ggml.unknown_token_id', gguf.u32(vocab.special.unk)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(vocab.special.pad)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ...(options.chatTemplate === null
      ? []
      : [['tokenizer.chat_template', gguf.str(options.chatTemplate ?? CHATML_TEMPLATE)] as const]),
  ];

  const bytes = serializeGguf({ metadata, tensors, alignment: 32 });
  return {
    bytes,
    info: {
      name,
      contextLength: nCtx,
      embeddingLength: nEmbd,
      blockCount: nLayer,
      vocabSize: nVocab,
      bosTokenId: vocab.special.bos,
      eosTokenId: vocab.special.imEnd,
      replyTokenIds,
      byteLength: bytes.length,
    },
  };
}

/** Writes the tiny model to `path` (creating folders) and describes what was written. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<TinyGgufInfo> {
  const { bytes, info } = buildTinyGguf(options);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return info;
}

function validate(p: Record<'nEmbd' | 'nLayer' | 'nHead' | 'nHeadKv' | 'nFf' | 'nCtx', number>): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(p)) {
    if (!Number.isInteger(value) || value <= 0)
      problems.push(`${key} must be a positive integer (got ${value})`);
  }
  if (p.nEmbd % p.nHead !== 0)
    problems.push(`embeddingLength ${p.nEmbd} must divide by headCount ${p.nHead}`);
  else if ((p.nEmbd / p.nHead) % 2 !== 0)
    problems.push('the head size (embeddingLength / headCount) must be even for RoPE');
  if (p.nHead % p.nHeadKv !== 0)
    problems.push(`headCount ${p.nHead} must divide by headCountKv ${p.nHeadKv}`);
  if (p.nLayer > 512) problems.push('blockCount must be at most 512 (LLAMA_MAX_LAYERS)');
  if (problems.length > 0) throw new RangeError(`invalid tiny GGUF options: ${problems.join('; ')}`);
}

/** "Hello big world" → ["Hello", "▁big", "▁world"]: the pieces a SentencePiece detokenizer joins back. */
function toReplyPieces(reply: string): string[] {
  const words = reply.split(' ').filter((w) => w.length > 0);
  const pieces = words.map((w, i) => (i === 0 ? w : SPM_SPACE + w));
  const seen = new Set<string>();
  for (const piece of pieces) {
    if (seen.has(piece)) {
      throw new RangeError(
        `reply words must be unique (the tiny model is a bigram chain); "${piece.replace(SPM_SPACE, ' ')}" repeats`,
      );
    }
    seen.add(piece);
  }
  return pieces;
}

/**
 * Adds, to the output row of each reply token, the direction of the token before it, so that token
 * wins the argmax whenever its predecessor is the current token. Returns the chained token ids.
 */
function chainReply(
  pieces: readonly string[],
  vocab: TinyVocab,
  embd: Float32Array,
  output: Float32Array,
  nEmbd: number,
): number[] {
  const newline = byteTokenId(vocab, 0x0a);
  const chain = [newline, ...pieces.map((p) => vocab.ids.get(p)!), vocab.special.imEnd];
  for (let i = 1; i < chain.length; i++) {
    const prev = embd.subarray(chain[i - 1] * nEmbd, (chain[i - 1] + 1) * nEmbd);
    let norm = 0;
    for (let d = 1; d < nEmbd; d++) norm += prev[d] * prev[d];
    // The final RMS norm scales the hidden state to length sqrt(nEmbd); divide it back out.
    const scale = REPLY_LOGIT / Math.sqrt(norm) / Math.sqrt(nEmbd);
    const row = output.subarray(chain[i] * nEmbd, (chain[i] + 1) * nEmbd);
    for (let d = 1; d < nEmbd; d++) row[d] += prev[d] * scale;
  }
  return chain.slice(1);
}
