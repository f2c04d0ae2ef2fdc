// Owns the worker pools of every registered model: resolving their addresses (static or DNS), one
// WorkerHandle per address, a periodic Stats poll of each (bounded by a deadline, never overlapping),
// following registry reloads, and picking the least-loaded routable worker for a model. The polls run
// every statsIntervalMs while requests come, and every statsIdleIntervalMs once none has for that
// long (an idle gateway then costs its workers and itself next to nothing); the first request after a
// quiet spell is routed on the last idle-pace Stats and polls every worker at once. With cache-aware
// routing on, a request with a prefix fingerprint goes to the worker holding most of it, within the
// load gate of its priority tier (cache-aware.selector.ts).
import { commonV1, type PrefixFingerprint } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { GatewayMetrics } from '../metrics/gateway.metrics';
import type { WorkerTemplateReport } from '../registry/chat-template.audit';
import type { ModelRegistry, RegisteredModel } from '../registry/model-registry';
import type { ModelRegistryService } from '../registry/model-registry.service';
import { CacheAwareSelector } from './cache-aware.selector';
import { refreshIntervalMs, resolveWorkerAddresses, type DnsLookup } from './worker-endpoint.resolver';
import { WorkerHandle, type BreakerStateName } from './worker.handle';

interface PoolState {
  /** The pool definition it was built from, to notice edits on reload. */
  definition: string;
  addresses: string[];
  refreshTimer?: NodeJS.Timeout;
}

export interface WorkerSnapshot {
  address: string;
  breaker: BreakerStateName;
  inflight: number;
  workerId?: string;
  modelId?: string;
  slotsTotal?: number;
  slotsFree?: number;
  queueDepth?: number;
}

export interface CacheRoutingSettings {
  enabled: boolean;
  /**
   * How many fewer free slots than the least-loaded worker the prefix holder may have and still get
   * an interactive request; background (low-priority) requests use 0.
   */
  maxLoadGap: number;
}

/** What routes one request besides its model: its prefix and its priority tier. */
export interface RouteHint {
  fingerprint?: PrefixFingerprint;
  priority: commonV1.PriorityTier;
}

export interface WorkerPoolOptions {
  registry: ModelRegistryService;
  logger: Logger;
  metrics: GatewayMetrics;
  cacheRouting?: CacheRoutingSettings;
  dnsLookup?: DnsLookup;
}

export class WorkerPoolService {
  private readonly handles = new Map<string, WorkerHandle>();
  private readonly pools = new Map<string, PoolState>();
  private readonly selector = new CacheAwareSelector();
  private readonly lastLoggedBreakerState = new Map<string, BreakerStateName>();
  private statsTimer?: NodeJS.Timeout;
  /** The pace the last Stats round was scheduled at: three of them without Stats mean a worker is gone. */
  private statsPaceMs = 0;
  /** A poll is due now: a request came while the pace was the idle one. */
  private statsWoken = false;
  /** When a request last picked a worker (performance.now()). */
  private lastPickAt = Number.NEGATIVE_INFINITY;
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Resolves every pool and waits for one Stats round, so the first requests find workers. */
  async start(): Promise<void> {
    const registry = this.options.registry.current();
    await this.syncPools(registry);
    await this.pollAll(registry);
    this.scheduleStats();
    this.unsubscribe = this.options.registry.onChange((next) => {
      void this.syncPools(next).then(() => this.pollStatsNow());
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.statsTimer);
    for (const pool of this.pools.values()) clearInterval(pool.refreshTimer);
    for (const handle of this.handles.values()) handle.close();
    this.pools.clear();
    this.handles.clear();
  }

  /**
   * The routable worker of `model` for a request, skipping `exclude`d addresses: the holder of its
   * longest cached prefix within the load gate, else the least-loaded one.
   */
  pick(
    model: RegisteredModel,
    exclude: ReadonlySet<string> = new Set(),
    hint?: RouteHint,
  ): WorkerHandle | undefined {
    const fingerprint = this.options.cacheRouting?.enabled ? hint?.fingerprint : undefined;
    const candidates = this.routable(model)
      .filter((handle) => !exclude.has(handle.address))
      .map((handle) => ({
        item: handle,
        load: handle.load(),
        matchedBlocks: fingerprint ? handle.matchedBlocks(fingerprint) : 0,
      }));
    this.lastPickAt = performance.now();
    if (this.statsPaceMs > this.options.registry.current().routing.statsIntervalMs) this.pollStatsNow();
    const choice = this.selector.pick(candidates, this.maxLoadGap(hint?.priority));
    if (choice && fingerprint) this.options.metrics.routeDecisions.inc({ reason: choice.reason });
    return choice?.item;
  }

  /** Whether picks look at cached prefixes (requests then bring their fingerprint). */
  get cacheAware(): boolean {
    return this.options.cacheRouting?.enabled ?? false;
  }

  /** The last Stats of each worker in a model's pool (those that answered at least once). */
  reports(model: RegisteredModel): WorkerTemplateReport[] {
    const reports: WorkerTemplateReport[] = [];
    for (const address of this.pools.get(model.id)?.addresses ?? []) {
      const stats = this.handles.get(address)?.stats;
      if (stats) reports.push({ address, ...stats });
    }
    return reports;
  }

  isAvailable(model: RegisteredModel): boolean {
    return this.routable(model).length > 0;
  }

  snapshot(): WorkerSnapshot[] {
    return [...this.handles.values()].map((handle) => ({
      address: handle.address,
      breaker: handle.breakerState,
      inflight: handle.inflightRequests,
      workerId: handle.stats?.workerId,
      modelId: handle.stats?.modelId,
      slotsTotal: handle.stats?.slotsTotal,
      slotsFree: handle.stats?.slotsFree,
      queueDepth: handle.stats?.queueDepth,
    }));
  }

  /** Polls every worker now (tests and start-up; the timer does the same periodically). */
  async pollAll(registry: ModelRegistry = this.options.registry.current()): Promise<void> {
    const timeoutMs = registry.routing.statsTimeoutMs;
    await Promise.all([...this.handles.values()].map((handle) => handle.pollStats(timeoutMs)));
    this.options.metrics.observeWorkers(this.snapshot());
  }

  /** Interactive tiers may trade some balance for a warm cache; background work never piles up for it. */
  private maxLoadGap(priority: commonV1.PriorityTier | undefined): number {
    if (priority === commonV1.PriorityTier.PRIORITY_TIER_LOW) return 0;
    return this.options.cacheRouting?.maxLoadGap ?? 0;
  }

  private routable(model: RegisteredModel): WorkerHandle[] {
    const pool = this.pools.get(model.id);
    if (!pool) return [];
    const { statsTimeoutMs } = this.options.registry.current().routing;
    // Stats missing for three polls means the worker is gone, even if the breaker has not opened yet.
    // The pace is the one the last round was scheduled at, so the first request after a quiet spell
    // still routes on the idle-pace Stats while the poll it triggered runs.
    const maxAge = 3 * this.statsPaceMs + statsTimeoutMs;
    const result: WorkerHandle[] = [];
    for (const address of pool.addresses) {
      const handle = this.handles.get(address);
      if (handle?.isRoutable(model.workerModelId, model.sha256, maxAge)) result.push(handle);
    }
    return result;
  }

  /** The next Stats round, at the busy or the idle pace. */
  private scheduleStats(): void {
    if (this.stopped) return;
    const { statsIntervalMs, statsIdleIntervalMs } = this.options.registry.current().routing;
    const idleMs = Math.max(statsIdleIntervalMs, statsIntervalMs);
    const busy =
      performance.now() - this.lastPickAt < idleMs ||
      [...this.handles.values()].some((handle) => handle.inflightRequests > 0);
    this.statsPaceMs = busy ? statsIntervalMs : idleMs;
    this.statsWoken = false;
    this.runStatsAfter(this.statsPaceMs);
  }

  /** A Stats round now (a request after a quiet spell, a registry reload), then the usual pace. */
  private pollStatsNow(): void {
    if (this.stopped || this.statsWoken) return;
    this.statsWoken = true;
    this.runStatsAfter(0);
  }

  private runStatsAfter(delayMs: number): void {
    clearTimeout(this.statsTimer);
    this.statsTimer = setTimeout(() => {
      void this.pollAll().finally(() => this.scheduleStats());
    }, delayMs);
    this.statsTimer.unref();
  }

  private async syncPools(registry: ModelRegistry): Promise<void> {
    const wanted = new Set(registry.models.map((model) => model.id));
    for (const [modelId, pool] of this.pools) {
      if (!wanted.has(modelId)) {
        clearInterval(pool.refreshTimer);
        this.pools.delete(modelId);
      }
    }
    await Promise.all(
      registry.models.map(async (model) => {
        const definition = JSON.stringify(model.workers);
        const existing = this.pools.get(model.id);
        if (existing?.definition === definition) return;
        clearInterval(existing?.refreshTimer);
        const pool: PoolState = { definition, addresses: existing?.addresses ?? [] };
        this.pools.set(model.id, pool);
        await this.refreshPool(model.id, pool, model);
        const every = refreshIntervalMs(model.workers);
        if (every !== undefined) {
          pool.refreshTimer = setInterval(() => void this.refreshPool(model.id, pool, model), every);
          pool.refreshTimer.unref();
        }
      }),
    );
    this.collectHandles(registry);
  }

  private async refreshPool(modelId: string, pool: PoolState, model: RegisteredModel): Promise<void> {
    try {
      pool.addresses = await resolveWorkerAddresses(model.workers, this.options.dnsLookup);
    } catch (error) {
      // Keep the last addresses: a DNS hiccup must not empty a pool that still works.
      this.options.logger.warn(
        { err: error, model: modelId, workers: model.workers },
        'worker pool resolution failed',
      );
      return;
    }
    const registry = this.options.registry.current();
    const lastLogged = this.lastLoggedBreakerState;
    for (const address of pool.addresses) {
      if (this.handles.has(address)) continue;
      const handle = new WorkerHandle(address, registry.routing.breaker, (worker, state) => {
        this.options.metrics.breakerTransitions.inc({ state });
        // A dead worker flips open → half-open → open at every probe: log the ejection and the
        // recovery, not each failed probe.
        if (state === 'half-open' || state === lastLogged.get(worker.address)) return;
        lastLogged.set(worker.address, state);
        if (state === 'closed')
          this.options.logger.info({ worker: worker.address }, 'worker recovered; circuit closed');
        else this.options.logger.warn({ worker: worker.address, state }, 'worker ejected; circuit open');
      });
      this.handles.set(address, handle);
      void handle.pollStats(registry.routing.statsTimeoutMs);
    }
    this.collectHandles(registry);
  }

  /** Closes handles no pool lists anymore. */
  private collectHandles(registry: ModelRegistry): void {
    const used = new Set<string>();
    for (const model of registry.models)
      for (const address of this.pools.get(model.id)?.addresses ?? []) used.add(address);
    for (const [address, handle] of this.handles) {
      if (!used.has(address)) {
        handle.close();
        this.handles.delete(address);
        this.lastLoggedBreakerState.delete(address);
      }
    }
  }
}
