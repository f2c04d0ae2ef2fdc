// Writes a random-weight "llama" GGUF of a realistic size for the GPU proof, so the engine benchmark
// measures GPU decode on GPU-sized matrices without carrying a real model. Same generator as the
// tests' tiny model (libs/testing), only bigger: defaults to 8 layers of 2048 wide with a 8192-wide
// FFN and grouped-query attention (about 0.5 B parameters, 2 GB of F32 weights).
// Usage (bundled by pack.sh): node make-model.cjs OUT.gguf   [env GPU_PROOF_LAYERS, _EMBD, _FFN]
import { writeTinyGguf } from '@hearth/testing';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: make-model OUT.gguf');
  const blockCount = Number(process.env['GPU_PROOF_LAYERS'] ?? 8);
  const embeddingLength = Number(process.env['GPU_PROOF_EMBD'] ?? 2048);
  const feedForwardLength = Number(process.env['GPU_PROOF_FFN'] ?? 8192);
  const started = Date.now();
  const info = await writeTinyGguf(out, {
    seed: 7,
    name: 'hearth-gpu-proof',
    blockCount,
    embeddingLength,
    feedForwardLength,
    headCount: 16,
    headCountKv: 4,
    contextLength: 8192,
  });
  console.log(
    `model ${out}: ${info.blockCount} layers x ${info.embeddingLength} wide, vocab ${info.vocabSize}, ` +
      `${(info.byteLength / 2 ** 30).toFixed(2)} GiB, written in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
