// What a folder of V8 CPU profiles (the idle and turn-cost benches', or node --cpu-prof's) spent their main thread's
// time on: per profile, ms per second of each function's self time, heaviest first; the same summed
// per package or file (where the time goes by owner); and per innermost frame of our own code on the
// sample's stack (which of our modules caused the work). The (idle) pseudo-node, and the inspector's
// `dispatch` that an in-process profiling session shows in place of it, are left out.
//
//   tsx bench/platform/cpu-profile.summary.ts <dir> [top]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface ProfileFile extends Profile {
  endTime: number;
}

/** The innermost frame of our compiled code (dist/apps, dist/libs) on the sample's stack. */
function ourFrame(byId: Map<number, ProfileNode>, parentOf: Map<number, number>, id: number): string {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (frame && /\/dist\/(apps|libs)\//.test(frame.url) && !frame.url.includes('/generated/'))
      return `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/dist\//, '')}:${frame.lineNumber + 1}`;
  }
  return '(none: runtime or library timers)';
}

const [dir, topArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: cpu-profile.summary.ts <dir> [top]');
const top = Number(topArg ?? 12);

/** The package (node_modules/<name>) or our file a frame belongs to. */
function ownerOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return url;
  return url.replace(/^.*\/dist\//, 'dist/') || '(native)';
}

for (const file of readdirSync(dir)
  .filter((name) => name.endsWith('.cpuprofile'))
  .sort()) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileFile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const self = new Map<string, number>();
  const owners = new Map<string, number>();
  const causes = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(profile.samples[i] as number)?.callFrame;
    if (!frame || frame.functionName === '(idle)' || (frame.functionName === 'dispatch' && !frame.url))
      continue;
    const cause = ourFrame(byId, parentOf, profile.samples[i] as number);
    causes.set(cause, (causes.get(cause) ?? 0) + delta);
    const where = frame.url
      ? ` ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(name, (self.get(name) ?? 0) + delta);
    const owner = ownerOf(frame.url);
    owners.set(owner, (owners.get(owner) ?? 0) + delta);
    busyUs += delta;
  }
  const spanUs = profile.endTime - profile.startTime;
  const perSecond = (us: number) => ((us / 1e3) * 1e6) / spanUs;
  console.log(`\n${file}: ${perSecond(busyUs).toFixed(2)} ms/s on the main thread`);
  for (const [title, table] of [
    ['functions', self],
    ['owners', owners],
    ['our innermost frame', causes],
  ] as const) {
    console.log(`  by ${title}:`);
    for (const [name, us] of [...table.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${perSecond(us).toFixed(2).padStart(7)} ms/s  ${name}`);
  }
}
