// Injection tokens of the BFF: the values it starts from (validated config and logger) and its gRPC
// upstreams' clients (the context service's and the tool runner's only when their address is set).
import type { BffConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

export const BFF_CONFIG = Symbol('BFF_CONFIG');
export const BFF_LOGGER = Symbol('BFF_LOGGER');
export const GATEWAY_CLIENT = Symbol('GATEWAY_CLIENT');
export const ORCHESTRATOR_CLIENT = Symbol('ORCHESTRATOR_CLIENT');
export const CONTEXT_CLIENT = Symbol('CONTEXT_CLIENT');
export const TOOL_RUNNER_CLIENT = Symbol('TOOL_RUNNER_CLIENT');

export interface BffDependencies {
  readonly config: BffConfig;
  readonly logger: Logger;
}
/** The BackgroundTurnDriver of background responses. */
export const RESPONSE_TURN_DRIVER = Symbol('RESPONSE_TURN_DRIVER');
/** The BackgroundTurnDriver of background chat completions. */
export const CHAT_TURN_DRIVER = Symbol('CHAT_TURN_DRIVER');
