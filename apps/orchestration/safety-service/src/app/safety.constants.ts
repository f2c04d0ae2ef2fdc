// Injection tokens of the safety service.
export const POLICY_STORE = Symbol('POLICY_STORE');
export const SAFETY_LIMITS = Symbol('SAFETY_LIMITS');
export const SAFETY_LOGGER = Symbol('SAFETY_LOGGER');

export interface SafetyLimits {
  /** Largest accepted input: all item texts of a CheckInput, an output, or a whole stream (UTF-8 bytes). */
  readonly maxInputBytes: number;
}
