// Injection tokens of the context service: the values it starts from (validated config and logger)
// and the safety service's client, which retrieval asks about untrusted document text.
import type { ContextServiceConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

export const CONTEXT_CONFIG = Symbol('CONTEXT_CONFIG');
export const CONTEXT_LOGGER = Symbol('CONTEXT_LOGGER');
export const SAFETY_CLIENT = Symbol('SAFETY_CLIENT');

export interface ContextDependencies {
  readonly config: ContextServiceConfig;
  readonly logger: Logger;
}
