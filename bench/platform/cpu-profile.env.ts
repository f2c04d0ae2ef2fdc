// The environment that makes every process of a bench's stack load cpu-profile.hook.cjs: on SIGWINCH
// each records a V8 CPU profile of `seconds` into `dir` (read with cpu-profile.summary.ts).
import { join } from 'node:path';

export function cpuProfileEnv(dir: string, seconds: number): Record<string, string> {
  return {
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile.hook.cjs')}`,
    CPU_PROFILE_DIR: dir,
    CPU_PROFILE_SECONDS: String(seconds),
  };
}
