// Owns tenant and API key administration (used by the admin CLI and by the specs): tenants with a
// unique slug, keys bound to a tenant and a user (created on first use of its external id), with
// scopes, per-key limits and an optional expiry; revocation by id or by the visible prefix.
import type { ApiKey, PrismaClient, Tenant } from '@hearth/db';

import { generateApiKeySecret } from '../auth/api-key.secret';
import { DEFAULT_SCOPES, SCOPES } from '../auth/authenticated-caller';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CreateKeyInput {
  /** Tenant id or slug. */
  tenant: string;
  /** External id of the user the key acts for; "default" when omitted. */
  user?: string;
  name?: string;
  scopes?: string[];
  rpm?: number;
  tpm?: number;
  expiresDays?: number;
}

export interface CreatedKey {
  id: string;
  tenantId: string;
  userId: string;
  userExternalId: string;
  prefix: string;
  scopes: string[];
  /** The secret; never stored, never shown again. */
  secret: string;
}

export class AdminService {
  constructor(private readonly prisma: PrismaClient) {}

  createTenant(name: string, slug?: string): Promise<Tenant> {
    const finalSlug = slug ?? slugify(name);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(finalSlug)) {
      throw new Error(`slug '${finalSlug}' must be lowercase letters, digits and dashes`);
    }
    return this.prisma.tenant.create({ data: { name, slug: finalSlug } });
  }

  async createKey(input: CreateKeyInput): Promise<CreatedKey> {
    const tenant = await this.tenant(input.tenant);
    const scopes = input.scopes ?? [...DEFAULT_SCOPES];
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0)
      throw new Error(`unknown scopes: ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
    const externalId = input.user ?? 'default';
    const user = await this.prisma.user.upsert({
      where: { tenantId_externalId: { tenantId: tenant.id, externalId } },
      create: { tenantId: tenant.id, externalId },
      update: {},
    });
    const secret = generateApiKeySecret();
    const key = await this.prisma.apiKey.create({
      data: {
        tenantId: tenant.id,
        userId: user.id,
        name: input.name ?? `key for ${externalId}`,
        keyHash: secret.hash,
        prefix: secret.prefix,
        scopes,
        rpmLimit: input.rpm ?? null,
        tpmLimit: input.tpm ?? null,
        expiresAt: input.expiresDays ? new Date(Date.now() + input.expiresDays * 86_400_000) : null,
      },
    });
    return {
      id: key.id,
      tenantId: tenant.id,
      userId: user.id,
      userExternalId: externalId,
      prefix: key.prefix,
      scopes: key.scopes,
      secret: secret.secret,
    };
  }

  async revokeKey(prefixOrId: string): Promise<ApiKey> {
    const matches = await this.prisma.apiKey.findMany({
      where: UUID.test(prefixOrId) ? { id: prefixOrId } : { prefix: { startsWith: prefixOrId } },
      take: 2,
    });
    if (matches.length === 0) throw new Error(`no key matches '${prefixOrId}'`);
    if (matches.length > 1) throw new Error(`'${prefixOrId}' matches several keys; use the id`);
    const key = matches[0] as ApiKey;
    if (key.revokedAt) return key;
    return this.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
  }

  async listKeys(tenant?: string): Promise<ApiKey[]> {
    const where = tenant ? { tenantId: (await this.tenant(tenant)).id } : {};
    return this.prisma.apiKey.findMany({ where, orderBy: { createdAt: 'asc' } });
  }

  /** A tenant by id or slug; throws when there is none. */
  async tenant(idOrSlug: string): Promise<Tenant> {
    const tenant = await this.prisma.tenant.findFirst({
      where: UUID.test(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug },
    });
    if (!tenant) throw new Error(`no tenant '${idOrSlug}'`);
    return tenant;
  }
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}
