// Seed helpers shared by the db medium specs.
import { randomUUID } from 'node:crypto';

import type { PrismaClient } from '../src';

export async function seedTenantUser(prisma: PrismaClient): Promise<{ tenantId: string; userId: string }> {
  const tenant = await prisma.tenant.create({ data: { name: 'Acme', slug: `acme-${randomUUID()}` } });
  const user = await prisma.user.create({
    data: { tenantId: tenant.id, externalId: `user-${randomUUID()}` },
  });
  return { tenantId: tenant.id, userId: user.id };
}
