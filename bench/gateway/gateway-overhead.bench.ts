// Gateway overhead: the same load sent straight to an inference worker, through a bare grpc-js hop
// (bare-grpc-proxy.ts, the floor any proxy process pays) and through the model gateway, at 1, 16 and
// 64 concurrent streams with max_tokens 1, in one run. Prints TTFT and total latency p50/p99 of each
// path, what it adds over the direct path, and the CPU time the hop process spends per request. Needs
// the local infrastructure (Redis and Kafka, for quotas and metering):
//
//   npm run build   # the worker and the gateway run from their compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/gateway/gateway-overhead.bench.ts [requests-per-level-and-path=640]
//
// A change to the gateway is measured against the build before it in the same run: copy `dist/` first
// (`cp -r dist .local/dist-before`), change and rebuild, then run with
// GATEWAY_BASELINE_DIST=.local/dist-before; the older gateway is one more path, "model gateway (baseline)".
//
// Both processes run on the tiny generated GGUF, so the worker's own time is small and the gateway's
// share is visible. Each process is a child; the load generator is this process. Rounds alternate the
// paths so that drift on a shared machine hits all of them alike. peer-overhead.bench.ts measures the
// same paths on a real model next to LiteLLM's proxy in front of llama-server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { infraEnv, writeTinyGguf } from '@hearth/testing';

import { measureLevel, percentile, runLevel, startGrpcPaths, tableHead, type Sample } from './gateway-paths';

const LEVELS = (process.env['GATEWAY_BENCH_LEVELS'] ?? '1,16,64').split(',').map(Number);
const REQUESTS_PER_LEVEL = Number(process.argv[2] ?? 640);
const WARMUP_REQUESTS = 200;
const ROUNDS = 4;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelPath, { reply: 'Hello there friend' });
  const grpcPaths = await startGrpcPaths({
    dir,
    infra: infraEnv(),
    modelId: 'tiny',
    modelPath,
    threads: 1,
    slots: 16,
    contextPerSlot: 256,
    prompt: 'Say hello',
    maxTokens: 1,
    baselineDist: process.env['GATEWAY_BASELINE_DIST'],
  });
  try {
    const paths = [grpcPaths.direct, grpcPaths.bare, grpcPaths.gateway];
    if (grpcPaths.baseline) paths.push(grpcPaths.baseline);
    for (const path of paths) await runLevel(path, 8, WARMUP_REQUESTS / 8);

    const header = [
      'streams',
      'path',
      'requests',
      'TTFT p50',
      'TTFT p99',
      'total p50',
      'total p99',
      'added TTFT p99',
      'added total p99',
      'hop CPU/request',
    ];
    const lines = tableHead(header);
    let offset = 0;
    for (const streams of LEVELS) {
      const level = await measureLevel(paths, streams, REQUESTS_PER_LEVEL, ROUNDS, offset);
      const { samples, cpuMs } = level;
      offset = level.offset;
      const stat = (list: Sample[], key: keyof Sample, p: number) =>
        percentile(
          list.map((s) => s[key]),
          p,
        );
      const cell = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));
      for (const [index, path] of paths.entries()) {
        const list = samples[index];
        const added = (key: keyof Sample) =>
          index === 0 ? '–' : cell(stat(list, key, 99) - stat(samples[0], key, 99));
        const cpu = index === 0 ? '–' : cell(cpuMs[index] / list.length);
        lines.push(
          `| ${streams} | ${path.name} | ${list.length} | ${cell(stat(list, 'ttftMs', 50))} | ${cell(stat(list, 'ttftMs', 99))} | ${cell(stat(list, 'totalMs', 50))} | ${cell(stat(list, 'totalMs', 99))} | ${added('ttftMs')} | ${added('totalMs')} | ${cpu} |`,
        );
      }
    }

    console.log(
      `\nGateway overhead: max_tokens 1, tiny GGUF, worker with 16 slots and 1 thread, ${ROUNDS} alternating rounds per level; milliseconds\n`,
    );
    for (const line of lines) console.log(line);
  } finally {
    grpcPaths.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
