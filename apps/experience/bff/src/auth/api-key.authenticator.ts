// Owns turning an `Authorization: Bearer sk-…` header into an AuthenticatedCaller: hash lookup (the
// secret is never stored) in the key cache, else in PostgreSQL, rejection of revoked and expired keys,
// and the key's limits falling back to the configured defaults. last_used_at is refreshed at most once
// a minute per key, so a request with a cached key reads nothing and one without does one indexed read.
import type { ApiKey, PrismaClient } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import { ApiError } from '../errors/api.error';
import type { ApiKeyCache } from './api-key.cache';
import { hashApiKey, looksLikeApiKey } from './api-key.secret';
import type { AuthenticatedCaller } from './authenticated-caller';

const LAST_USED_REFRESH_MS = 60_000;

export interface AuthenticatorOptions {
  prisma: PrismaClient;
  logger: Logger;
  defaultRpm: number;
  defaultTpm: number;
  cache?: ApiKeyCache;
}

export class ApiKeyAuthenticator {
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(authorization: string | undefined): Promise<AuthenticatedCaller> {
    if (!authorization) {
      throw ApiError.unauthorized(
        "You didn't provide an API key. Provide it in the Authorization header (Authorization: Bearer sk-...).",
        'missing_api_key',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const secret = match?.[1] ?? '';
    if (!looksLikeApiKey(secret)) throw invalidKey(secret);
    const key = await this.find(hashApiKey(secret));
    const now = new Date();
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) throw invalidKey(secret);
    if (!key.userId) {
      // Every key the admin CLI creates has a user; a user-less key cannot own conversations.
      throw ApiError.unauthorized('This API key is not attached to a user.', 'invalid_api_key');
    }
    this.touch(key.id, now);
    return {
      tenantId: key.tenantId,
      userId: key.userId,
      apiKeyId: key.id,
      scopes: new Set(key.scopes),
      rpmLimit: key.rpmLimit ?? this.options.defaultRpm,
      tpmLimit: key.tpmLimit ?? this.options.defaultTpm,
    };
  }

  private async find(keyHash: string): Promise<ApiKey | null> {
    const { cache, prisma } = this.options;
    const cached = cache?.get(keyHash);
    if (cached) return cached;
    const mark = cache?.mark() ?? 0;
    const key = await prisma.apiKey.findUnique({ where: { keyHash } });
    if (key) cache?.keep(keyHash, key, mark);
    return key;
  }

  private touch(keyId: string, now: Date): void {
    const last = this.lastUsedWrites.get(keyId) ?? 0;
    if (now.getTime() - last < LAST_USED_REFRESH_MS) return;
    this.lastUsedWrites.set(keyId, now.getTime());
    this.options.prisma.apiKey
      .update({ where: { id: keyId }, data: { lastUsedAt: now } })
      .catch((err: unknown) => this.options.logger.warn({ err, keyId }, 'last_used_at update failed'));
  }
}

function invalidKey(secret: string): ApiError {
  const shown = secret.length > 8 ? `${secret.slice(0, 3)}***${secret.slice(-4)}` : '***';
  return ApiError.unauthorized(`Incorrect API key provided: ${shown}.`);
}
