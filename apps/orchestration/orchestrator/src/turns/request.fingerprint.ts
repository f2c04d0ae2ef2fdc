// Owns what "the same request" means for idempotency: a sha256 over the turn request as decoded (its field
// order is the generated code's, so equal requests give equal text), leaving out what differs between
// honest retries of one request (its request id, its idempotency key, the API key used) but keeping who
// asks (tenant and user). A retry with the same Idempotency-Key and the same fingerprint is replayed; a
// different fingerprint is refused.
import { createHash } from 'node:crypto';

import type { orchestratorV1 } from '@hearth/contracts';

export function requestFingerprint(request: orchestratorV1.RunTurnRequest): string {
  const who = { tenantId: request.caller?.tenantId ?? '', userId: request.caller?.userId ?? '' };
  const same = { ...request, requestId: '', idempotencyKey: '', caller: who };
  return createHash('sha256').update(JSON.stringify(same)).digest('hex');
}
