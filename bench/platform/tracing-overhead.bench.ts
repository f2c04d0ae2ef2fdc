// What tracing costs a turn. Starts the whole platform from its compiled output (dist/) three times
// side by side, each process its own, on the tiny generated GGUF, one stack per tracing mode:
//
//   off       OTEL_SDK_DISABLED=true: libraries unpatched, no tracer provider, no-op spans (baseline);
//   local     the default: spans recorded (ids in logs and headers), no endpoint, nothing exported;
//   exported  every span exported over OTLP/HTTP (JSON) to an in-process receiver;
//   unsampled OTEL_TRACES_SAMPLER=always_off: libraries patched, spans not recorded (ids still flow),
//             what a trace outside a ratio sampler's share costs.
// BENCH_TRACING_MODES picks and orders them (default off,local,exported; the first is the baseline).
//
// Then the same streamed chat completions go through each stack's BFF in rounds (one turn on each
// stack per round, the order rotating), so load from anything else on the machine falls on the three
// alike. Per mode: CPU ms per turn summed over the platform's services (from /proc/<pid>/stat; the
// workers' model time apart), the wall time of a turn (p50, p95) and the spans exported per turn; the
// ratio columns divide by the `off` row.
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

const MODES = ['off', 'local', 'exported', 'unsampled'] as const;
type Mode = (typeof MODES)[number];

interface ModeResult {
  mode: Mode;
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

interface ModeStack {
  mode: Mode;
  stack: Stack;
  key: CreatedKey;
  receiver?: OtlpReceiver;
  groups: CpuGroup[];
  walls: number[];
}

async function startMode(mode: Mode): Promise<ModeStack> {
  const receiver = mode === 'exported' ? await OtlpReceiver.start() : undefined;
  const processEnv: Record<string, string> =
    mode === 'off'
      ? { OTEL_SDK_DISABLED: 'true' }
      : mode === 'unsampled'
        ? { OTEL_TRACES_SAMPLER: 'always_off' }
        : receiver
          ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }
          : {};
  const stack = await startStack({ orchestration: true, bffProcess: true, processEnv });
  const key = await stack.tenant(`tracing-${mode}`);
  const groups: CpuGroup[] = stack.services
    .filter((service) => SERVICES.includes(service.app))
    .map((service) => ({ name: service.app, pids: () => (service.pid ? [service.pid] : []) }));
  return { mode, stack, key, ...(receiver && { receiver }), groups, walls: [] };
}

async function main(): Promise<void> {
  const modes: ModeStack[] = [];
  try {
    const chosen = (process.env['BENCH_TRACING_MODES'] ?? 'off,local,exported').split(',');
    const unknown = chosen.filter((mode) => !(MODES as readonly string[]).includes(mode));
    if (unknown.length > 0)
      throw new Error(`unknown tracing modes: ${unknown.join(', ')} (${MODES.join(', ')})`);
    for (const mode of chosen as Mode[]) {
      console.error(`starting the platform with tracing ${mode}…`);
      modes.push(await startMode(mode));
    }
    for (let i = 0; i < WARM_UP_TURNS; i++) for (const m of modes) await turn(m.stack, m.key, i);
    await new Promise((resolve) => setTimeout(resolve, EXPORT_SETTLE_MS));
    const spansBefore = modes.map((m) => m.receiver?.spans().length ?? 0);
    const before = modes.map((m) => snapshot(m.groups));
    console.error(`${TURNS} rounds…`);
    for (let i = 0; i < TURNS; i++)
      for (let k = 0; k < modes.length; k++) {
        const m = modes[(i + k) % modes.length]!;
        m.walls.push(await turn(m.stack, m.key, WARM_UP_TURNS + i));
      }
    // Spans still batched are exported (and their CPU spent) within the processor's delay.
    await new Promise((resolve) => setTimeout(resolve, EXPORT_SETTLE_MS));
    const results: ModeResult[] = modes.map((m, k) => {
      const cpu = cpuBetween(before[k]!, snapshot(m.groups));
      const total = [...cpu.values()].reduce((sum, ms) => sum + ms, 0);
      return {
        mode: m.mode,
        cpuMsPerTurn: total / TURNS,
        p50Ms: percentile(m.walls, 50),
        p95Ms: percentile(m.walls, 95),
        spansPerTurn: m.receiver ? (m.receiver.spans().length - spansBefore[k]!) / TURNS : undefined,
      };
    });
    print(results);
  } finally {
    for (const m of modes) {
      await m.stack.close();
      await m.receiver?.close();
    }
  }
}

function print(results: ModeResult[]): void {
  const baseline = results[0]!;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(
    `\nTracing overhead: ${TURNS} rounds of streamed turns (max_tokens 8), one turn per stack per round, services' CPU summed\n`,
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
