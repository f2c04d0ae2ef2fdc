// @hearth/db: the Prisma schema's generated client, the pg driver-adapter wiring, the Nest
// PrismaService, the migration runner, the repositories shared across services, the Redis client
// every service uses, and the deadline outbound infrastructure calls run under.
export * from './generated/prisma';
export * from './db.constants';
export * from './db.errors';
export * from './db.module';
export * from './deadline.util';
export * from './migrate.runner';
export * from './prisma-adapter.factory';
export * from './prisma-client.factory';
export * from './prisma.service';
export * from './redis.client';
export * from './repositories/conversation.repository';
export * from './repositories/message.repository';
