// Injection tokens of the gateway: the values it starts from (validated config and logger).
import type { ModelGatewayConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');

export interface GatewayDependencies {
  readonly config: ModelGatewayConfig;
  readonly logger: Logger;
}
