// Checks the parts of a request the proto cannot express: a caller with a tenant id, unique item
// ids, canaries long enough to be unambiguous, and the configured size limit (counted in UTF-8 bytes
// of the texts, so the message names the real reason instead of a transport error).
import type { commonV1 } from '@hearth/contracts';

import { MIN_CANARY_LENGTH } from '../detectors/leak/canary.detector';
import { InvalidSafetyRequestError } from './safety-request.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ITEM_ID_LENGTH = 200;

export function requireCaller(caller: commonV1.Caller | null | undefined): commonV1.Caller {
  if (!caller?.tenantId) throw new InvalidSafetyRequestError('caller.tenant_id is required');
  if (!UUID.test(caller.tenantId)) throw new InvalidSafetyRequestError('caller.tenant_id must be a UUID');
  return caller;
}

export function requireItemIds(itemIds: readonly string[]): void {
  const seen = new Set<string>();
  itemIds.forEach((id, index) => {
    if (!id) throw new InvalidSafetyRequestError(`items[${index}].item_id is required`);
    if (id.length > MAX_ITEM_ID_LENGTH) {
      throw new InvalidSafetyRequestError(
        `items[${index}].item_id is longer than ${MAX_ITEM_ID_LENGTH} characters`,
      );
    }
    if (seen.has(id)) throw new InvalidSafetyRequestError(`items[${index}].item_id "${id}" is not unique`);
    seen.add(id);
  });
}

export function requireCanaries(canaries: readonly string[]): void {
  canaries.forEach((canary, index) => {
    if (canary.length < MIN_CANARY_LENGTH) {
      throw new InvalidSafetyRequestError(
        `canaries[${index}] is shorter than ${MIN_CANARY_LENGTH} characters`,
      );
    }
  });
}

/** Throws when the texts together exceed `maxBytes` UTF-8 bytes. */
export function requireWithinLimit(what: string, texts: readonly string[], maxBytes: number): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidSafetyRequestError(
      `${what} is ${bytes} bytes, over the ${maxBytes}-byte limit of this service (SAFETY_MAX_INPUT_BYTES)`,
    );
  }
  return bytes;
}
