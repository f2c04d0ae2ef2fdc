// Owns the BFF's memory of the API keys it authenticated: a key's row by the hash of its secret, so a
// request is authenticated without a PostgreSQL read. A change to a key, whoever makes it, notifies
// channel `api_keys` (migration 20261207160000_api_keys_notify) and every replica forgets the key at
// once. Nothing is served from memory while the listening connection is down (notifications sent
// then are lost; every reconnect forgets everything), and a row read before a notification arrived
// is not kept after it, so a revoked key is accepted no longer than its notification takes. Entries
// also expire after the TTL. Only keys that exist are kept: an unknown secret is looked up every
// time, and the auth-failure limiter bounds those.
import { PgChannelListener, type ApiKey } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import { LRUCache } from 'lru-cache';

export const API_KEYS_CHANNEL = 'api_keys';

export interface ApiKeyCacheOptions {
  databaseUrl: string;
  /** How long a key is kept at most; 0 turns the cache off (every request reads PostgreSQL). */
  ttlMs: number;
  maxEntries?: number;
  logger: Logger;
}

export class ApiKeyCache {
  private readonly entries: LRUCache<string, ApiKey> | undefined;
  private readonly listener: PgChannelListener | undefined;
  /** Bumped by every notification and connection change: a read that began before one is not kept. */
  private generation = 0;

  constructor(options: ApiKeyCacheOptions) {
    if (options.ttlMs <= 0) return;
    this.entries = new LRUCache({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs });
    this.listener = new PgChannelListener({
      databaseUrl: options.databaseUrl,
      channel: API_KEYS_CHANNEL,
      applicationName: 'hearth-bff-api-keys',
      logger: options.logger,
      onNotification: (keyHash) => {
        this.generation++;
        if (keyHash) this.entries?.delete(keyHash);
      },
      onConnectionChange: () => {
        this.generation++;
        this.entries?.clear();
      },
    });
  }

  /** True while the listening connection is up (the cache serves only then). */
  get listening(): boolean {
    return this.listener?.listening ?? false;
  }

  /** A mark to pass to `keep`: taken before the read whose row is kept. */
  mark(): number {
    return this.generation;
  }

  get(keyHash: string): ApiKey | undefined {
    return this.listener?.listening ? this.entries?.get(keyHash) : undefined;
  }

  /** Keeps a row read from PostgreSQL, unless a notification or a reconnect came since `mark`. */
  keep(keyHash: string, key: ApiKey, mark: number): void {
    if (!this.listener?.listening || mark !== this.generation) return;
    this.entries?.set(keyHash, key);
  }

  start(): void {
    this.listener?.startInBackground();
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    this.entries?.clear();
  }
}
