// Checks the parts of a request the proto cannot express (the caller is @hearth/grpc's
// validateCaller): unique item ids, canaries long enough to be unambiguous, and the configured size
// limit (counted in UTF-8 bytes of the texts, so the message names the real reason instead of a
// transport error). Each refusal is INVALID_ARGUMENT with its message.
import { invalidArgument } from '@hearth/grpc';

import { MIN_CANARY_LENGTH } from '../detectors/leak/canary.detector';

const MAX_ITEM_ID_LENGTH = 200;

export function requireItemIds(itemIds: readonly string[]): void {
  const seen = new Set<string>();
  itemIds.forEach((id, index) => {
    if (!id) throw invalidArgument(`items[${index}].item_id is required`);
    if (id.length > MAX_ITEM_ID_LENGTH) {
      throw invalidArgument(`items[${index}].item_id is longer than ${MAX_ITEM_ID_LENGTH} characters`);
    }
    if (seen.has(id)) throw invalidArgument(`items[${index}].item_id "${id}" is not unique`);
    seen.add(id);
  });
}

export function requireCanaries(canaries: readonly string[]): void {
  canaries.forEach((canary, index) => {
    if (canary.length < MIN_CANARY_LENGTH) {
      throw invalidArgument(`canaries[${index}] is shorter than ${MIN_CANARY_LENGTH} characters`);
    }
  });
}

/** Throws when the texts together exceed `maxBytes` UTF-8 bytes. */
export function requireWithinLimit(what: string, texts: readonly string[], maxBytes: number): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw invalidArgument(
      `${what} is ${bytes} bytes, over the ${maxBytes}-byte limit of this service (SAFETY_MAX_INPUT_BYTES)`,
    );
  }
  return bytes;
}
