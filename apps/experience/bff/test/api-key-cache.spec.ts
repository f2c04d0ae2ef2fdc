// Medium: API key authentication with the key cache on a real PostgreSQL. A key authenticated once is
// served from memory (no read); a change to it made with plain SQL, as another replica or the admin CLI
// would make it, reaches every cache through the `api_keys` notification; while the listening
// connection is down nothing is served from memory. The read counter wraps the real client's
// `findUnique` (it counts, it does not replace).
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, seedTenantUser, waitFor, type TestDatabase } from '@hearth/testing';

import { ApiKeyAuthenticator } from '../src/auth/api-key.authenticator';
import { ApiKeyCache } from '../src/auth/api-key.cache';
import { generateApiKeySecret } from '../src/auth/api-key.secret';
import { ApiError } from '../src/errors/api.error';

const logger = createLogger({ service: 'api-key-cache-spec', level: 'error' });

describe(ApiKeyCache.name, () => {
  let db: TestDatabase;
  let cache: ApiKeyCache;
  let sut: ApiKeyAuthenticator;
  let reads = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    const findUnique = db.prisma.apiKey.findUnique.bind(db.prisma.apiKey);
    const prisma = new Proxy(db.prisma, {
      get: (target, property) =>
        property === 'apiKey'
          ? {
              findUnique: (args: Parameters<typeof findUnique>[0]) => {
                reads++;
                return findUnique(args);
              },
              update: db.prisma.apiKey.update.bind(db.prisma.apiKey),
            }
          : Reflect.get(target, property),
    });
    cache = new ApiKeyCache({ databaseUrl: db.url, ttlMs: 60_000, logger });
    cache.start();
    sut = new ApiKeyAuthenticator({ prisma, logger, defaultRpm: 60, defaultTpm: 1_000, cache });
    await waitFor('the api_keys listener', () => cache.listening);
  });

  afterAll(async () => {
    await cache?.stop();
    await db?.drop();
  });

  async function newKey(scopes: string[] = ['chat']) {
    const { tenantId, userId } = await seedTenantUser(db.prisma);
    const secret = generateApiKeySecret();
    const key = await db.prisma.apiKey.create({
      data: { tenantId, userId, name: 'spec', keyHash: secret.hash, prefix: secret.prefix, scopes },
    });
    return { ...key, secret: secret.secret };
  }
  const bearer = (secret: string) => `Bearer ${secret}`;

  it('reads a key once, then serves it from memory', async () => {
    const key = await newKey();
    const before = reads;
    for (let i = 0; i < 5; i++)
      await expect(sut.authenticate(bearer(key.secret))).resolves.toMatchObject({ apiKeyId: key.id });
    expect(reads - before).toBe(1);
  });

  it('stops accepting a key revoked with plain SQL once the notification arrives', async () => {
    const key = await newKey();
    await sut.authenticate(bearer(key.secret));
    await db.prisma.$executeRaw`UPDATE api_keys SET revoked_at = now() WHERE id = ${key.id}::uuid`;
    await waitFor('the revoked key refused', () =>
      sut.authenticate(bearer(key.secret)).then(
        () => false,
        (error: unknown) => error instanceof ApiError && error.status === 401,
      ),
    );
  });

  it('picks up changed scopes, and keeps a key whose last use is refreshed', async () => {
    const key = await newKey(['chat']);
    await expect(sut.authenticate(bearer(key.secret))).resolves.toMatchObject({ scopes: new Set(['chat']) });
    const before = reads;
    await db.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
    await expect(sut.authenticate(bearer(key.secret))).resolves.toBeDefined();
    expect(reads - before).toBe(0);
    await db.prisma.apiKey.update({ where: { id: key.id }, data: { scopes: ['chat', 'files'] } });
    await waitFor('the new scopes', async () =>
      (await sut.authenticate(bearer(key.secret))).scopes.has('files'),
    );
  });

  it('reads PostgreSQL on every request while it cannot listen', async () => {
    const key = await newKey();
    const offline = new ApiKeyCache({ databaseUrl: db.url, ttlMs: 60_000, logger });
    const counted = new ApiKeyAuthenticator({
      prisma: db.prisma,
      logger,
      defaultRpm: 60,
      defaultTpm: 1_000,
      cache: offline,
    });
    // Never started: no listening connection, so a revocation could go unnoticed; nothing is kept.
    await counted.authenticate(bearer(key.secret));
    await db.prisma.$executeRaw`UPDATE api_keys SET revoked_at = now() WHERE id = ${key.id}::uuid`;
    await expect(counted.authenticate(bearer(key.secret))).rejects.toMatchObject({ status: 401 });
  });

  it('keeps nothing for an unknown secret', async () => {
    const unknown = generateApiKeySecret();
    const before = reads;
    await expect(sut.authenticate(bearer(unknown.secret))).rejects.toMatchObject({ status: 401 });
    await expect(sut.authenticate(bearer(unknown.secret))).rejects.toMatchObject({ status: 401 });
    expect(reads - before).toBe(2);
  });
});
