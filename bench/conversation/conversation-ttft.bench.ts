// Time to first token over a long conversation, with the real default chat model (HEARTH_CHAT_MODEL_PATH),
// before and after rolling summaries moved off the turn's path. Runs conversation.driver.ts once per
// side, one after the other, each in a process of its own on its own checkout's code and stack: the
// peer is BENCH_BEFORE_ROOT (a checkout of the commit before the change; see README.md for
// preparing one), the subject is this checkout. Prints per turn: the client's time to first token
// (RunTurn call to its first content event) of both sides and their ratio, the tokens the worker
// prefilled before the first token (prompt - cached: it does not depend on the machine's load, the
// milliseconds do) and which summary served the turn; then per side the ratio turn 30 / turn 3 (the
// target: <= 1.2) and the ratio of the medians of turns 26-32 and 2-4. Turns 3 and 30 are single
// samples: read them with the curve and the medians. Without BENCH_BEFORE_ROOT only this checkout
// runs. BENCH_TURNS (32), BENCH_THINK_MS (0: wait between turns, as a person reading),
// BENCH_WORKER_THREADS (1).
//
//   eval "$(bash deploy/local/infra.sh env)" && \
//     BENCH_BEFORE_ROOT=../hearth-before node --import tsx bench/conversation/conversation-ttft.bench.ts
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { SideResult, TurnRow } from './conversation.driver';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 32);
const HERE_ROOT = resolve(__dirname, '..', '..');
const FIXTURE = 'apps/orchestration/orchestrator/test/support/orchestrator.fixture.ts';

interface Side {
  label: string;
  root: string;
}

/** Runs one side's conversation in its own process, on its own checkout's code. */
async function runSide(side: Side, dir: string): Promise<SideResult> {
  const fixture = await readFile(join(side.root, FIXTURE), 'utf8');
  if (!fixture.includes('chatModel')) {
    throw new Error(
      `${side.root}: its orchestrator fixture has no chatModel option (real model); copy this checkout's ${FIXTURE} over it (see bench/conversation/README.md)`,
    );
  }
  const out = join(dir, `${side.label}.json`);
  console.log(`\n${side.label}: ${side.root}`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE_ROOT, 'bench', 'conversation', 'conversation.driver.ts')],
    {
      cwd: side.root,
      // tsx maps @hearth/* with this tsconfig's paths: the side's own libraries, not this checkout's.
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(side.root, 'tsconfig.json'),
        BENCH_SIDE_ROOT: side.root,
        BENCH_OUT: out,
      },
      stdio: 'inherit',
    },
  );
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`${side.label} side exited with ${code}`);
  return JSON.parse(await readFile(out, 'utf8')) as SideResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function table(header: string[], cells: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) console.log(line(c));
}

const prefilled = (r: TurnRow | undefined) => (r ? r.promptTokens - r.cachedTokens : Number.NaN);

function summarize(label: string, result: SideResult): void {
  const rows = result.rows;
  const ttft = (turn: number) => rows[turn - 1]?.ttftMs ?? Number.NaN;
  console.log(
    `\n${label}: load average ${result.loadBefore} before, ${result.loadAfter} after; summary rows ${result.summariesWritten}`,
  );
  if (rows.length >= 30) {
    console.log(
      `  ttft turn 30 / turn 3: ${(ttft(30) / ttft(3)).toFixed(2)} (${ttft(30).toFixed(1)} / ${ttft(3).toFixed(1)} ms; prefilled ${prefilled(rows[29])} / ${prefilled(rows[2])} tokens)`,
    );
    const late = median(rows.slice(25, 32).map((r) => r.ttftMs));
    const early = median(rows.slice(1, 4).map((r) => r.ttftMs));
    console.log(
      `  ttft median turns 26-${Math.min(rows.length, 32)} / median turns 2-4: ${(late / early).toFixed(2)} (${late.toFixed(1)} / ${early.toFixed(1)} ms)`,
    );
  }
  if (rows.length >= 10) {
    // The issue counts turns from 0: its "turns 0-8" and "9 on" are turns 1-9 and 10 on here.
    const upTo9 = rows.slice(0, 9).map((r) => r.ttftMs);
    const from10 = rows.slice(9).map((r) => r.ttftMs);
    console.log(
      `  ttft turns 1-9: ${Math.min(...upTo9).toFixed(0)}-${Math.max(...upTo9).toFixed(0)} ms; turns 10-${rows.length}: ${Math.min(...from10).toFixed(0)}-${Math.max(...from10).toFixed(0)} ms`,
    );
  }
}

async function main(): Promise<void> {
  const beforeRoot = process.env['BENCH_BEFORE_ROOT'];
  const sides: Side[] = [
    ...(beforeRoot ? [{ label: 'before', root: resolve(beforeRoot) }] : []),
    { label: 'after', root: HERE_ROOT },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'bench-conversation-'));
  try {
    const results = new Map<string, SideResult>();
    for (const side of sides) results.set(side.label, await runSide(side, dir));
    const before = results.get('before');
    const after = results.get('after') as SideResult;

    console.log(
      `\nreal model, ${TURNS} turns, max_tokens 8, think time ${process.env['BENCH_THINK_MS'] ?? 0} ms, worker threads ${process.env['BENCH_WORKER_THREADS'] ?? 1}\n`,
    );
    const header = before
      ? [
          'turn',
          'before ttft ms',
          'after ttft ms',
          'after/before',
          'before prefilled',
          'after prefilled',
          'before context ms',
          'after context ms',
          'before summary',
          'after summary',
        ]
      : ['turn', 'ttft ms', 'turn ms', 'context ms', 'prompt tok', 'cached tok', 'prefilled', 'summary'];
    const cells = after.rows.map((a, i) => {
      const b = before?.rows[i];
      return before
        ? [
            String(a.turn),
            b ? b.ttftMs.toFixed(1) : '-',
            a.ttftMs.toFixed(1),
            b ? (a.ttftMs / b.ttftMs).toFixed(2) : '-',
            String(prefilled(b)),
            String(prefilled(a)),
            b ? b.contextMs.toFixed(1) : '-',
            a.contextMs.toFixed(1),
            b?.summary ?? '-',
            a.summary,
          ]
        : [
            String(a.turn),
            a.ttftMs.toFixed(1),
            a.totalMs.toFixed(1),
            a.contextMs.toFixed(1),
            String(a.promptTokens),
            String(a.cachedTokens),
            String(prefilled(a)),
            a.summary,
          ];
    });
    table(header, cells);
    if (before) summarize('before', before);
    summarize('after', after);
    if (!before) console.log('\n(no BENCH_BEFORE_ROOT: no peer in this run)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
