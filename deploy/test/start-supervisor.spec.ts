// `npm start`'s supervisor (scripts/supervisor.mjs) on real child processes: a service killed with SIGKILL
// is started again after the back-off, which doubles with each consecutive crash, while its neighbour keeps
// running untouched; after stop() nothing is restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { REPO_ROOT } from './support/deploy-tools.util';

interface Entry {
  name: string;
  child: ChildProcess;
}
interface Supervisor {
  supervise(
    entry: Entry,
    respawn: () => ChildProcess,
    options: { log: (line: string) => void; policy: { initialMs: number; maxMs: number; stableMs: number } },
  ): { stop(): void };
}

const POLICY = { initialMs: 150, maxMs: 600, stableMs: 60_000 };
const idle = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function restartedFrom(entry: Entry, pid: number | undefined): Promise<number> {
  const start = Date.now();
  while (entry.child.pid === pid || !entry.child.pid) {
    if (Date.now() - start > 10_000) throw new Error(`${entry.name} was not restarted`);
    await sleep(10);
  }
  return Date.now() - start;
}

describe('npm start supervisor', () => {
  const entries: Entry[] = [];
  const stops: (() => void)[] = [];

  afterAll(() => {
    for (const stop of stops) stop();
    for (const entry of entries) entry.child.kill('SIGKILL');
  });

  it('restarts a killed service with a doubling back-off and leaves its neighbour alone; stop() ends it', async () => {
    const { supervise } = (await import(join(REPO_ROOT, 'scripts', 'supervisor.mjs'))) as Supervisor;
    const lines: string[] = [];
    const crashing: Entry = { name: 'crashing', child: idle() };
    const neighbour: Entry = { name: 'neighbour', child: idle() };
    entries.push(crashing, neighbour);
    for (const entry of entries) {
      stops.push(supervise(entry, idle, { log: (line) => lines.push(line), policy: POLICY }).stop);
    }
    const neighbourPid = neighbour.child.pid;

    const delays: number[] = [];
    for (let crash = 0; crash < 3; crash++) {
      const pid = crashing.child.pid;
      crashing.child.kill('SIGKILL');
      delays.push(await restartedFrom(crashing, pid));
      expect(alive(crashing.child)).toBe(true);
    }
    // 150, 300, 600 ms (capped at maxMs): each wait at least its back-off, and growing.
    expect(delays[0]).toBeGreaterThanOrEqual(140);
    expect(delays[1]).toBeGreaterThanOrEqual(290);
    expect(delays[2]).toBeGreaterThanOrEqual(590);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/crashing exited \(SIGKILL\); restarting it in 0\.6 s \(restart 3\)/);
    expect(neighbour.child.pid).toBe(neighbourPid);
    expect(alive(neighbour.child)).toBe(true);

    stops[0]!();
    const last = crashing.child;
    await new Promise((resolve) =>
      last.exitCode !== null || last.signalCode ? resolve(null) : last.once('exit', resolve),
    );
    await sleep(POLICY.maxMs + 200);
    expect(crashing.child).toBe(last);
    expect(lines).toHaveLength(3);
  });
});
