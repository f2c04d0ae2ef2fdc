// Owns checking `hearth.common.v1.Caller`, the identity every internal rpc acts for: a tenant id
// always, and the user and API key ids as each rpc needs them, all UUIDs. A failure is
// INVALID_ARGUMENT with reason INVALID_CALLER and the offending field in the ErrorInfo metadata.
import type { commonV1 } from '@hearth/contracts';

import { invalidArgument } from '../errors/grpc-error';
import { isUuid } from './uuid';

export const INVALID_CALLER = 'INVALID_CALLER';

/**
 * Whether an id must be present. `true` or a reason (said in the message: "memory belongs to a user")
 * requires it; `false` (the default) accepts it empty but still checks its form when present.
 */
export type CallerIdRequirement = boolean | string;

export interface CallerRequirements {
  readonly user?: CallerIdRequirement;
  readonly apiKey?: CallerIdRequirement;
}

/** A checked caller: tenant id present, every id present is a UUID, required ones present. */
export type ValidCaller = commonV1.Caller;

function fail(field: string, message: string): never {
  throw invalidArgument(INVALID_CALLER, message, { field });
}

function checkId(field: string, value: string, requirement: CallerIdRequirement | undefined): void {
  const why = typeof requirement === 'string' ? requirement : undefined;
  if (value === '') {
    if (requirement) fail(field, why ? `${field} is required: ${why}` : `${field} is required`);
    return;
  }
  if (!isUuid(value)) {
    const message = requirement ? `${field} must be a UUID` : `${field} must be empty or a UUID`;
    fail(field, why ? `${message} (${why})` : message);
  }
}

export function validateCaller(
  caller: commonV1.Caller | null | undefined,
  requirements: CallerRequirements = {},
): ValidCaller {
  if (!caller?.tenantId) fail('caller.tenant_id', 'caller.tenant_id is required');
  if (!isUuid(caller.tenantId)) fail('caller.tenant_id', 'caller.tenant_id must be a UUID');
  checkId('caller.user_id', caller.userId, requirements.user);
  checkId('caller.api_key_id', caller.apiKeyId, requirements.apiKey);
  return caller;
}
