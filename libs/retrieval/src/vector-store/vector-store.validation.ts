// Input checks shared by every adapter, run before anything reaches a store: both adapters reject the
// same bad input with the same INVALID_ARGUMENT message (the conformance suite holds them to it).
import { z } from 'zod';

import { VectorStoreError } from './vector-store.errors';
import type { AccessFilter, CollectionSpec, VectorPoint } from './vector-store.port';

/** Upper bound on topK: retrieval feeds a prompt, so thousands of hits are always a caller bug. */
export const MAX_TOP_K = 1000;

const nonEmpty = z.string().min(1).max(512);

const payloadSchema = z.object({
  tenantId: nonEmpty,
  acl: z.array(nonEmpty).min(1, 'acl must name at least one principal (or "*" for public)'),
  fileId: nonEmpty,
  chunkId: nonEmpty,
  position: z.number().int().nonnegative(),
  contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'contentHash must be a hex sha256'),
  text: z.string(),
});

const specSchema = z.object({
  embeddingModel: nonEmpty,
  dimension: z.number().int().min(1).max(16384),
});

const filterSchema = z.object({ tenantId: nonEmpty, principals: z.array(nonEmpty).max(256) });

function fail(what: string, error: z.ZodError): never {
  const details = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw VectorStoreError.invalidArgument(`${what}: ${details}`);
}

export function validateSpec(spec: CollectionSpec): void {
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success) fail('invalid collection spec', parsed.error);
}

export function validateVector(vector: ArrayLike<number>, dimension: number, what: string): Float32Array {
  if (vector.length !== dimension) {
    throw VectorStoreError.invalidArgument(
      `${what} has dimension ${vector.length}, the collection expects ${dimension}`,
    );
  }
  const out = Float32Array.from(vector);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]))
      throw VectorStoreError.invalidArgument(`${what} has a non-finite value at index ${i}`);
  }
  return out;
}

/** Validates a batch; returns the vectors as Float32Array in batch order. */
export function validatePoints(points: readonly VectorPoint[], dimension: number): Float32Array[] {
  const seen = new Set<string>();
  return points.map((point, i) => {
    if (typeof point.id !== 'string' || point.id.length === 0 || point.id.length > 512) {
      throw VectorStoreError.invalidArgument(
        `point ${i}: id must be a non-empty string of at most 512 characters`,
      );
    }
    if (seen.has(point.id))
      throw VectorStoreError.invalidArgument(`point ${i}: id "${point.id}" appears twice in one batch`);
    seen.add(point.id);
    const parsed = payloadSchema.safeParse(point.payload);
    if (!parsed.success) fail(`point ${i} ("${point.id}") has an invalid payload`, parsed.error);
    return validateVector(point.vector, dimension, `point ${i} ("${point.id}")`);
  });
}

export function validateFilter(filter: AccessFilter): void {
  const parsed = filterSchema.safeParse(filter);
  if (!parsed.success) fail('invalid access filter (tenantId is required)', parsed.error);
}

export function validateTopK(topK: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
    throw VectorStoreError.invalidArgument(`topK must be an integer in [1, ${MAX_TOP_K}], got ${topK}`);
  }
}

/** Cosine needs a direction: a zero vector has none and would score NaN in one store and 0 in another. */
export function assertNonZero(vector: Float32Array, what: string): void {
  if (!vector.some((v) => v !== 0)) throw VectorStoreError.invalidArgument(`${what} is the zero vector`);
}
