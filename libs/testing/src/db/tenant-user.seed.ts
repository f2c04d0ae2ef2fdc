// A tenant with one user, written straight to a test database: what medium specs below the public API
// (stores, repositories, sweepers) need before they can write conversations.
import { randomUUID } from 'node:crypto';

import type { PrismaClient } from '@hearth/db';

export interface SeededTenantUser {
  tenantId: string;
  userId: string;
}

export async function seedTenantUser(
  prisma: PrismaClient,
  user: { memoryOptIn?: boolean } = {},
): Promise<SeededTenantUser> {
  const tenant = await prisma.tenant.create({ data: { name: 'Acme', slug: `acme-${randomUUID()}` } });
  const created = await prisma.user.create({
    data: { tenantId: tenant.id, externalId: `user-${randomUUID()}`, ...user },
  });
  return { tenantId: tenant.id, userId: created.id };
}
