// The identity an API key resolves to: tenant, user, key, its scopes and limits. Every store lookup
// and every upstream call is scoped by it.
import type { commonV1 } from '@hearth/contracts';

export const SCOPES = ['models', 'chat', 'embeddings', 'conversations', 'memory', 'tools', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
/** Scopes of a key created without --scopes: everything but tenant administration. */
export const DEFAULT_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'admin');

export interface AuthenticatedCaller {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  scopes: ReadonlySet<string>;
  rpmLimit: number;
  tpmLimit: number;
}

export function toGrpcCaller(caller: AuthenticatedCaller): commonV1.Caller {
  return { tenantId: caller.tenantId, userId: caller.userId, apiKeyId: caller.apiKeyId };
}
