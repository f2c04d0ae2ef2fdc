// CPU time of processes as the kernel counts it: user + system time of every thread, from
// /proc/<pid>/stat, in milliseconds. Linux only. Groups of processes (a PostgreSQL server's backends,
// Redis, the Kafka broker) are found by their command line, so a group's members may come and go
// between two snapshots: one that started in between counts from zero, one that ended is lost.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The process's user + system CPU time in ms, or undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = statFields(pid);
  if (!fields) return undefined;
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Fields after the command name of /proc/<pid>/stat (ppid is [1], utime [11], stime [12]), or undefined. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of a process and every descendant: each live member's user + system time plus that of the
 * children it has already reaped (cutime + cstime), so a worker process that ended between two readings
 * still counts. NaN when the pid is undefined or gone.
 */
export function processTreeCpuMs(rootPid: number | undefined): number {
  if (rootPid === undefined) return Number.NaN;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (!fields) continue;
    const pid = Number(entry);
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
  }
  if (!ticks.has(rootPid)) return Number.NaN;
  let total = 0;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    total += ticks.get(pid) ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return (total * 1000) / TICKS_PER_SECOND;
}

/** Processes whose command line (arguments joined by spaces) matches. */
export function pidsMatching(match: (commandLine: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    if (commandLine && match(commandLine)) pids.push(Number(entry));
  }
  return pids;
}

/** A named set of processes, re-listed at every snapshot. */
export interface CpuGroup {
  name: string;
  pids: () => number[];
}

export type CpuSnapshot = Map<string, Map<number, number>>;

export function snapshot(groups: CpuGroup[]): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const group of groups) {
    const perPid = new Map<number, number>();
    for (const pid of group.pids()) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) perPid.set(pid, ms);
    }
    out.set(group.name, perPid);
  }
  return out;
}

/** CPU ms each group used between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, perPid] of after) {
    const earlier = before.get(name) ?? new Map<number, number>();
    let total = 0;
    for (const [pid, ms] of perPid) total += ms - (earlier.get(pid) ?? 0);
    out.set(name, total);
  }
  return out;
}

/** The whole machine's CPU time from /proc/stat's first line, in ticks: busy (all but idle and iowait) and total. */
export function machineCpuTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string)
    .trim()
    .split(/\s+/)
    .slice(1, 9);
  const ticks = fields.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}
