// Measures the engine on a real model: aggregate decode throughput with 1, 4 and 8 concurrent
// streams (and how full each llama_decode batch was), and time to first token for a long prompt
// cold versus with its prefix cached in a slot.
// Usage: npx tsx apps/inference/inference-worker/scripts/engine-bench.ts [model.gguf] [threads]
//   (defaults: $HEARTH_MODEL_PATH, 2 threads; WORKER_GPU=cuda|vulkan|cpu|auto picks the backend, auto by
//   default; BENCH_CONTEXT_SIZE, default 2048, for models whose tokenizer makes the prefix prompt longer)
import { InferenceEngine } from '../src/engine/inference.engine';
import { GpuPreference, ModelLoaderAdapter } from '../src/engine/model/model-loader.adapter';

const TOPICS = [
  'the sea',
  'a mountain',
  'a city at night',
  'an old library',
  'the desert',
  'a forest',
  'a train journey',
  'winter',
];
const TOKENS_PER_STREAM = 64;

async function main(): Promise<void> {
  const source = process.argv[2] ?? process.env.HEARTH_MODEL_PATH;
  if (!source) throw new Error('pass a GGUF path or set HEARTH_MODEL_PATH');
  const threads = Number(process.argv[3] ?? 2);
  const loaded = await new ModelLoaderAdapter().load({
    source,
    cacheDir: '.local/models',
    gpu: (process.env.WORKER_GPU ?? 'auto') as GpuPreference,
    threads,
  });
  const engine = await InferenceEngine.create(loaded, {
    slots: 8,
    contextSize: Number(process.env.BENCH_CONTEXT_SIZE ?? 2048),
    batchSize: 512,
    queueMax: 64,
  });
  console.log(
    `model ${loaded.path} backend=${loaded.backend} gpuLayers=${loaded.model.gpuLayers} threads=${threads}`,
  );

  // Warm-up: first decodes pay for allocations.
  await engine.complete({
    requestId: 'warm',
    input: { prompt: 'Hello' },
    sampling: { maxTokens: 8, temperature: 0 },
  });

  for (const streams of [1, 4, 8]) {
    const before = engine.metrics();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        engine.complete({
          requestId: `tput-${streams}-${i}`,
          cacheSalt: `tput-${streams}-${i}`,
          input: { prompt: `Here is a long, detailed description of ${TOPICS[i]}:` },
          sampling: { maxTokens: TOKENS_PER_STREAM, temperature: 0.7, seed: i },
        }),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const after = engine.metrics();
    const tokens = results.reduce((sum, r) => sum + r.usage.completionTokens, 0);
    const decodes = after.decodeCalls - before.decodeCalls;
    const seqs = after.decodeSequencesTotal - before.decodeSequencesTotal;
    const ttft = results.map((r) => r.timings.timeToFirstTokenMs ?? 0);
    console.log(
      `${streams} stream(s): ${tokens} tokens in ${seconds.toFixed(2)} s = ${(tokens / seconds).toFixed(1)} tok/s aggregate, ` +
        `${(tokens / seconds / streams).toFixed(1)} tok/s per stream; ${decodes} decodes, ${(seqs / decodes).toFixed(2)} sequences/decode; ` +
        `TTFT max ${Math.max(...ttft)} ms`,
    );
  }

  // Prefix reuse: ~700-token shared prefix, different final question.
  const document = Array.from(
    { length: 60 },
    (_, i) =>
      `Clause ${i + 1}: the tenant shall keep the premises in good order and report defects within ${i + 2} days.`,
  ).join(' ');
  const ask = (question: string, salt: string) =>
    engine.complete({
      requestId: `prefix-${salt}`,
      cacheSalt: salt,
      input: { messages: [{ role: 'user', content: `${document}\n\nQuestion: ${question}` }] },
      sampling: { maxTokens: 4, temperature: 0 },
    });
  const cold = await ask('What does clause 3 say?', 'prefix');
  const warm = await ask('What does clause 7 say?', 'prefix');
  const otherTenant = await ask('What does clause 9 say?', 'other');
  console.log(
    `prefix reuse: prompt ${cold.usage.promptTokens} tokens; cold TTFT ${cold.timings.timeToFirstTokenMs} ms; ` +
      `warm TTFT ${warm.timings.timeToFirstTokenMs} ms with ${warm.usage.cachedPromptTokens} cached tokens; ` +
      `other salt TTFT ${otherTenant.timings.timeToFirstTokenMs} ms with ${otherTenant.usage.cachedPromptTokens} cached`,
  );
  console.log(JSON.stringify(engine.metrics().sequencesPerDecodeHistogram));
  await engine.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
