// @hearth/db: the Prisma schema's generated client, the pg driver-adapter wiring, the Nest
// PrismaService, the migration runner and the repositories shared across services. Only the
// experience and orchestration planes may use it (lint enforces this); which service owns which
// table is in this lib's README.
export * from './generated/prisma';
export * from './db.constants';
export * from './db.errors';
export * from './db-failure';
export * from './db.module';
export * from './migrate.runner';
export * from './prisma-adapter.factory';
export * from './prisma-client.factory';
export * from './prisma.service';
export * from './sql-statements';
export * from './repositories/conversation.repository';
export * from './repositories/message.repository';
export * from './repositories/message-tree.repository';
export * from './jsonb';
export * from './pg-channel.listener';
