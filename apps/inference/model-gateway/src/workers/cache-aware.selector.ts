// Owns cache-aware routing: among routable workers, the one holding the longest cached prefix of the
// request (CachedPrefix blocks from Stats) wins, unless that would pile load onto it. The load gate:
// when the cache holder has more than `maxLoadGap` fewer free slots than the least-loaded worker
// (its queue and active sequences run ahead of the others'), the request overflows to the
// least-loaded one, so one hot prefix cannot make one worker the queue of every tenant. Without a
// cached prefix anywhere it is plain least-loaded routing.
import { LeastLoadedSelector, type LoadedCandidate } from './least-loaded.selector';

export interface CacheCandidate<T> extends LoadedCandidate<T> {
  /** Blocks of the request's prefix the worker holds (0: none). */
  matchedBlocks: number;
}

/** cache: the holder of the longest prefix; overflow: it was too loaded; least_loaded: no holder. */
export type RouteReason = 'cache' | 'overflow' | 'least_loaded';

export interface RouteChoice<T> {
  item: T;
  reason: RouteReason;
}

export class CacheAwareSelector {
  private readonly leastLoaded = new LeastLoadedSelector();

  pick<T>(candidates: readonly CacheCandidate<T>[], maxLoadGap: number): RouteChoice<T> | undefined {
    const fallback = this.leastLoaded.pick(candidates);
    if (fallback === undefined) return undefined;
    let holder: CacheCandidate<T> | undefined;
    for (const candidate of candidates) {
      if (candidate.matchedBlocks === 0) continue;
      if (
        !holder ||
        candidate.matchedBlocks > holder.matchedBlocks ||
        (candidate.matchedBlocks === holder.matchedBlocks && candidate.load.free > holder.load.free)
      )
        holder = candidate;
    }
    if (!holder) return { item: fallback, reason: 'least_loaded' };
    if (holder.item === fallback) return { item: fallback, reason: 'cache' };
    const leastLoadedFree = candidates.find((c) => c.item === fallback)!.load.free;
    if (leastLoadedFree - holder.load.free > maxLoadGap) return { item: fallback, reason: 'overflow' };
    return { item: holder.item, reason: 'cache' };
  }
}
