// Qdrant's wire shapes and our mapping to them: deterministic point ids (Qdrant accepts only UUIDs or
// integers, so a chunk id becomes a UUIDv5 and upserting it again overwrites the same point), the
// payload we store, and the tenant/ACL filter every read carries.
import { v5 as uuidv5 } from 'uuid';

import { ACL_PUBLIC, type AccessFilter, type PointPayload } from '../vector-store.port';

/** Fixed namespace for point ids: changing it would orphan every stored point. */
const POINT_ID_NAMESPACE = '4f1d2c3e-8a77-5b0e-9c41-6e2f0d9a7b15';

/** Payload fields with a Qdrant payload index (tenant first: `is_tenant` co-locates a tenant's points). */
export const INDEXED_FIELDS = {
  tenantId: { type: 'keyword', is_tenant: true },
  acl: { type: 'keyword' },
  fileId: { type: 'keyword' },
  text: { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2, max_token_len: 40 },
} as const;

export interface QdrantPayload extends PointPayload {
  /** The caller's id, since Qdrant's own id is the derived UUID. */
  readonly pointId: string;
}

export function qdrantPointId(id: string): string {
  return uuidv5(id, POINT_ID_NAMESPACE);
}

export function toQdrantPayload(id: string, payload: PointPayload): QdrantPayload {
  return {
    pointId: id,
    tenantId: payload.tenantId,
    acl: [...payload.acl],
    fileId: payload.fileId,
    chunkId: payload.chunkId,
    position: payload.position,
    contentHash: payload.contentHash,
    text: payload.text,
  };
}

export function fromQdrantPayload(raw: Record<string, unknown> | null | undefined): {
  id: string;
  payload: PointPayload;
} {
  const p = (raw ?? {}) as Partial<QdrantPayload>;
  return {
    id: String(p.pointId),
    payload: {
      tenantId: String(p.tenantId),
      acl: Array.isArray(p.acl) ? p.acl.map(String) : [],
      fileId: String(p.fileId),
      chunkId: String(p.chunkId),
      position: Number(p.position),
      contentHash: String(p.contentHash),
      text: String(p.text ?? ''),
    },
  };
}

export interface FieldCondition {
  key: string;
  match: { value: string } | { any: string[] } | { text: string };
}

/** Tenant AND (ACL holds one of the principals OR is public): the filter of every read. */
export function accessConditions(filter: AccessFilter): FieldCondition[] {
  return [
    { key: 'tenantId', match: { value: filter.tenantId } },
    { key: 'acl', match: { any: [...new Set([...filter.principals, ACL_PUBLIC])] } },
  ];
}

/** Lower-cased word terms of a keyword query, deduplicated and capped (each becomes one `should`). */
export function keywordTerms(text: string, max = 16): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]{2,40}/gu) ?? [];
  return [...new Set(words)].slice(0, max);
}
