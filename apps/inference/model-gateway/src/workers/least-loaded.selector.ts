// Owns the choice among routable workers: the most free sequence slots wins; between equals, the
// smaller share of busy slots (so a big worker is preferred over a small one at the same free count),
// then a rotating start so equal workers take turns instead of the first one taking every tie.
import type { WorkerLoad } from './worker.handle';

export interface LoadedCandidate<T> {
  item: T;
  load: WorkerLoad;
}

export class LeastLoadedSelector {
  private turn = 0;

  pick<T>(candidates: readonly LoadedCandidate<T>[]): T | undefined {
    const count = candidates.length;
    if (count === 0) return undefined;
    const start = this.turn++ % count;
    let best: LoadedCandidate<T> | undefined;
    for (let i = 0; i < count; i++) {
      const candidate = candidates[(start + i) % count];
      if (!best || isBetter(candidate.load, best.load)) best = candidate;
    }
    return best?.item;
  }
}

function isBetter(a: WorkerLoad, b: WorkerLoad): boolean {
  if (a.free !== b.free) return a.free > b.free;
  return a.busy / a.slotsTotal < b.busy / b.slotsTotal;
}
