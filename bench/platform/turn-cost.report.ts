// The turn-cost bench's tables: CPU ms per turn per process (idle rate subtracted), Redis commands
// per turn, idle % of a core, and the TTFT the platform adds over the worker alone.
export type Kind = 'stateless' | 'conversation';
export interface Phase {
  kind: Kind;
  maxTokens: number;
  clients: number;
}

export const PHASES: Phase[] = (['stateless', 'conversation'] as const).flatMap((kind) =>
  [1, 32].flatMap((maxTokens) => [1, 4].map((clients) => ({ kind, maxTokens, clients }))),
);

/** Services whose CPU makes the platform's cost of a turn (the workers' model time is apart). */
export const SERVICES = [
  'bff',
  'orchestrator',
  'context-service',
  'safety-service',
  'model-gateway',
  'tool-runner',
];
export const INFRA = ['postgres (bench db)', 'postgres (server)', 'redis', 'kafka'];

export interface PhaseResult {
  phase: Phase;
  turns: number;
  wallMs: number;
  cpuMs: Map<string, number>;
  statements: number;
  redisCommands: Map<string, number>;
  ttftMs: number[];
  /** Mean ms per turn in each of the orchestrator's turn phases (its phase histogram). */
  phaseMs: Map<string, number>;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

export function printTables(
  idleMs: Map<string, number>,
  idleWallMs: number,
  results: PhaseResult[],
  peer: { streams: number; worker: number[]; bff: number[] }[],
  groupNames: string[],
): void {
  const idleRate = (name: string) => (idleMs.get(name) ?? 0) / idleWallMs;
  const perTurn = (result: PhaseResult, name: string) =>
    ((result.cpuMs.get(name) ?? 0) - idleRate(name) * result.wallMs) / result.turns;
  const workers = groupNames.filter((name) => name.startsWith('inference-worker'));

  console.log('\nCPU ms per turn (idle background subtracted)\n');
  const columns = [...SERVICES, 'services total', ...workers, ...INFRA, 'SQL statements', 'wall ms'];
  console.log(`| turn | max_tokens | clients | ${columns.join(' | ')} |`);
  console.log(`|---|---:|---:|${columns.map(() => '---:').join('|')}|`);
  for (const result of results) {
    const services = SERVICES.map((name) => perTurn(result, name));
    const cells = [
      ...services.map((v) => fmt(v)),
      `**${fmt(services.reduce((a, b) => a + b, 0))}**`,
      ...workers.map((name) => fmt(perTurn(result, name))),
      ...INFRA.map((name) => fmt(perTurn(result, name))),
      fmt(result.statements / result.turns, 1),
      fmt(result.wallMs / result.turns, 1),
    ];
    const { kind, maxTokens, clients } = result.phase;
    console.log(`| ${kind} | ${maxTokens} | ${clients} | ${cells.join(' | ')} |`);
  }

  console.log('\nRedis commands per turn\n');
  for (const result of results) {
    const { kind, maxTokens, clients } = result.phase;
    const commands = [...result.redisCommands]
      .sort((a, b) => b[1] - a[1])
      .map(([command, calls]) => `${command} ${fmt(calls / result.turns, 1)}`)
      .join(', ');
    console.log(`- ${kind}, max_tokens ${maxTokens}, ${clients} client(s): ${commands}`);
  }

  // The orchestrator's own clock per turn: where a turn's latency goes (steps in the stored turn trace).
  const phaseNames = [...new Set(results.flatMap((r) => [...r.phaseMs.keys()]))];
  console.log('\nTurn phases, mean ms per turn (orchestrator: hearth_turn_phase_duration_seconds)\n');
  console.log(`| turn | max_tokens | clients | ${phaseNames.join(' | ')} |`);
  console.log(`|---|---:|---:|${phaseNames.map(() => '---:').join('|')}|`);
  for (const result of results) {
    const { kind, maxTokens, clients } = result.phase;
    const cells = phaseNames.map((name) => fmt(result.phaseMs.get(name) ?? Number.NaN, 1));
    console.log(`| ${kind} | ${maxTokens} | ${clients} | ${cells.join(' | ')} |`);
  }

  console.log(`\nIdle background, % of one core (${fmt(idleWallMs / 1000, 0)} s window)\n`);
  console.log('| process | idle % of a core |');
  console.log('|---|---:|');
  for (const name of [...SERVICES, ...workers, ...INFRA])
    console.log(`| ${name} | ${fmt(idleRate(name) * 100)} |`);

  console.log('\nTTFT through the BFF vs the worker alone (max_tokens 1, stateless)\n');
  console.log('| streams | worker p50 / p99 ms | BFF p50 / p99 ms | added p50 / p99 ms |');
  console.log('|---:|---:|---:|---:|');
  for (const row of peer) {
    const [w50, w99, b50, b99] = [
      percentile(row.worker, 50),
      percentile(row.worker, 99),
      percentile(row.bff, 50),
      percentile(row.bff, 99),
    ];
    console.log(
      `| ${row.streams} | ${fmt(w50, 1)} / ${fmt(w99, 1)} | ${fmt(b50, 1)} / ${fmt(b99, 1)} | ${fmt(b50 - w50, 1)} / ${fmt(b99 - w99, 1)} |`,
    );
  }
}
