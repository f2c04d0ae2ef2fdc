// A request the safety service refuses to check (missing caller, oversized input, ...): mapped to
// INVALID_ARGUMENT with its message by the exception filter.
export class InvalidSafetyRequestError extends Error {
  override readonly name = 'InvalidSafetyRequestError';
}
