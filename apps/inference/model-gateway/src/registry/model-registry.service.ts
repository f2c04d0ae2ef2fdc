// Owns the live registry: loaded once at start-up (a bad file stops the process), then reloaded when
// the file changes. The folder is watched rather than the file because Kubernetes ConfigMaps and
// editors replace files by renaming; a slow poll backs the watcher up on volumes without events. A
// bad reload (a bad file, or one the reload check refuses) keeps serving the last good registry and
// logs which file failed and why.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

import type { Logger } from '@hearth/telemetry';

import { ModelRegistry } from './model-registry';
import { loadRegistryFile, RegistryLoadError } from './model-registry.loader';

export type RegistryListener = (registry: ModelRegistry, previous: ModelRegistry) => void;

export interface ModelRegistryServiceOptions {
  path: string;
  pollMs: number;
  logger: Logger;
  /** Delay that folds the burst of events one save produces into one reload. */
  debounceMs?: number;
}

export type RegistryReloadCheck = (next: ModelRegistry) => readonly string[];

export class ModelRegistryService {
  private registry?: ModelRegistry;
  private readonly listeners = new Set<RegistryListener>();
  private watcher?: FSWatcher;
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private lastError?: string;
  private reloadCheck?: RegistryReloadCheck;
  private readonly path: string;

  constructor(private readonly options: ModelRegistryServiceOptions) {
    this.path = resolve(options.path);
  }

  /** Loads the file (throws RegistryLoadError if it is bad) and starts watching it. */
  async start(): Promise<ModelRegistry> {
    this.registry = await loadRegistryFile(this.path);
    this.options.logger.info(
      { path: this.path, version: this.registry.version.slice(0, 12), models: this.registry.models.length },
      'model registry loaded',
    );
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
      // Some platforms omit the name; ConfigMap swaps touch `..data`, not the file: reload on any doubt.
      if (file === null || file === basename(this.path) || file.startsWith('..')) this.scheduleReload();
    });
    this.watcher.on('error', (error) =>
      this.options.logger.warn({ err: error, path: this.path }, 'registry watcher failed; polling only'),
    );
    this.pollTimer = setInterval(() => this.scheduleReload(0), this.options.pollMs);
    this.pollTimer.unref();
    return this.registry;
  }

  /**
   * Checks every reloaded registry against what only the running gateway knows (its workers'
   * reports); problems reject the reload like a bad file.
   */
  checkReloadsWith(check: RegistryReloadCheck): void {
    this.reloadCheck = check;
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    this.listeners.clear();
  }

  current(): ModelRegistry {
    if (!this.registry) throw new Error('ModelRegistryService.start() was not awaited');
    return this.registry;
  }

  onChange(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the file now; resolves when the reload (or its rejection) is done. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  private scheduleReload(delayMs = this.options.debounceMs ?? 100): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reload(), delayMs);
    this.debounceTimer.unref();
  }

  private async reloadNow(): Promise<void> {
    const previous = this.current();
    let next: ModelRegistry;
    try {
      next = await loadRegistryFile(this.path);
      const problems = this.reloadCheck?.(next) ?? [];
      if (problems.length > 0) throw new RegistryLoadError(this.path, problems);
    } catch (error) {
      const problems = error instanceof RegistryLoadError ? error.problems : [String(error)];
      const key = problems.join('\n');
      // The poll re-reads the same bad file every interval: say it once per distinct problem.
      if (key !== this.lastError) {
        this.lastError = key;
        this.options.logger.error(
          { path: this.path, problems, keptVersion: previous.version.slice(0, 12) },
          'model registry reload failed; keeping the last good registry',
        );
      }
      return;
    }
    this.lastError = undefined;
    if (next.version === previous.version) return;
    this.registry = next;
    this.options.logger.info(
      { path: this.path, version: next.version.slice(0, 12), previous: previous.version.slice(0, 12) },
      'model registry reloaded',
    );
    for (const listener of this.listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.options.logger.error({ err: error }, 'registry change listener failed');
      }
    }
  }
}
