// What tracing costs a turn. Starts the whole platform from its compiled output (dist/) three times,
// each process its own, on the tiny generated GGUF, and sends the same streamed chat completions
// through the BFF under each tracing mode:
//
//   off       OTEL_SDK_DISABLED=true: no tracer provider, every span a no-op (the baseline);
//   local     the default: spans recorded (ids in logs and headers), no endpoint, nothing exported;
//   exported  every span exported over OTLP/HTTP (JSON) to an in-process receiver.
//
// Per mode: CPU ms per turn summed over the platform's services (from /proc/<pid>/stat; the workers'
// model time apart), the wall time of a turn (p50, p95) and the spans exported per turn; the ratio
// columns divide by the `off` row measured in the same run. `off` runs again last: how far the two
// `off` rows differ is the run's noise (the machine is shared), below which a ratio means nothing.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npm run bench:tracing
//   BENCH_TURNS=100 npm run bench:tracing
import { OtlpReceiver } from '@hearth/testing';

import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { cpuBetween, snapshot, type CpuGroup } from './process-cpu';
import { SERVICES } from './turn-cost.report';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 60);
const WARM_UP_TURNS = 10;
/** The batch span processor's delay: the last turns' spans are in the receiver after it. */
const EXPORT_SETTLE_MS = 6_000;

type Mode = 'off' | 'local' | 'exported';

interface ModeResult {
  mode: string;
  cpuMsPerTurn: number;
  p50Ms: number;
  p95Ms: number;
  spansPerTurn: number | undefined;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function turn(stack: Stack, key: CreatedKey, index: number): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_ID,
      messages: [{ role: 'user', content: `Tell me something about the sea (${index})` }],
      max_completion_tokens: 8,
      stream: true,
    }),
  });
  const body = await res.text();
  if (res.status !== 200 || !body.endsWith('data: [DONE]\n\n'))
    throw new Error(`turn ${index}: HTTP ${res.status} ${body.slice(-300)}`);
  return performance.now() - started;
}

async function measure(mode: Mode): Promise<ModeResult> {
  const receiver = mode === 'exported' ? await OtlpReceiver.start() : undefined;
  const processEnv: Record<string, string> =
    mode === 'off'
      ? { OTEL_SDK_DISABLED: 'true' }
      : receiver
        ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }
        : {};
  const stack = await startStack({ orchestration: true, bffProcess: true, processEnv });
  try {
    const key = await stack.tenant(`tracing-${mode}`);
    for (let i = 0; i < WARM_UP_TURNS; i++) await turn(stack, key, i);
    await new Promise((resolve) => setTimeout(resolve, EXPORT_SETTLE_MS));
    const groups: CpuGroup[] = stack.services
      .filter((service) => SERVICES.includes(service.app))
      .map((service) => ({ name: service.app, pids: () => (service.pid ? [service.pid] : []) }));
    const spansBefore = receiver?.spans().length ?? 0;
    const before = snapshot(groups);
    const walls: number[] = [];
    for (let i = 0; i < TURNS; i++) walls.push(await turn(stack, key, WARM_UP_TURNS + i));
    // Spans still batched are exported (and their CPU spent) within the processor's delay.
    await new Promise((resolve) => setTimeout(resolve, EXPORT_SETTLE_MS));
    const cpu = cpuBetween(before, snapshot(groups));
    const total = [...cpu.values()].reduce((sum, ms) => sum + ms, 0);
    return {
      mode,
      cpuMsPerTurn: total / TURNS,
      p50Ms: percentile(walls, 50),
      p95Ms: percentile(walls, 95),
      spansPerTurn: receiver ? (receiver.spans().length - spansBefore) / TURNS : undefined,
    };
  } finally {
    await stack.close();
    await receiver?.close();
  }
}

async function main(): Promise<void> {
  const results: ModeResult[] = [];
  for (const mode of ['off', 'local', 'exported', 'off'] as const) {
    console.error(`measuring tracing ${mode} (${TURNS} turns)…`);
    const result = await measure(mode);
    results.push(results.length > 0 && mode === 'off' ? { ...result, mode: 'off (again)' } : result);
  }
  const baseline = results[0]!;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(
    `\nTracing overhead: ${TURNS} streamed turns (max_tokens 8), one client, services' CPU summed\n`,
  );
  console.log(row(['tracing', 'CPU ms/turn', 'CPU ratio', 'p50 ms', 'p95 ms', 'p50 ratio', 'spans/turn']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const result of results)
    console.log(
      row([
        result.mode,
        result.cpuMsPerTurn.toFixed(1),
        (result.cpuMsPerTurn / baseline.cpuMsPerTurn).toFixed(2),
        result.p50Ms.toFixed(1),
        result.p95Ms.toFixed(1),
        (result.p50Ms / baseline.p50Ms).toFixed(2),
        result.spansPerTurn === undefined ? '–' : result.spansPerTurn.toFixed(0),
      ]),
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
