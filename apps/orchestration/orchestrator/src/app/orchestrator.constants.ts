// Injection tokens of the orchestrator: the values it starts from (validated config and logger) and
// the typed gRPC clients of the context service, the safety service and, when an address is
// configured, the tool runner.
import type { OrchestratorConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

export const ORCHESTRATOR_CONFIG = Symbol('ORCHESTRATOR_CONFIG');
export const ORCHESTRATOR_LOGGER = Symbol('ORCHESTRATOR_LOGGER');
export const CONTEXT_CLIENT = Symbol('CONTEXT_CLIENT');
export const SAFETY_CLIENT = Symbol('SAFETY_CLIENT');
export const TOOL_RUNNER_CLIENT = Symbol('TOOL_RUNNER_CLIENT');

export interface OrchestratorDependencies {
  readonly config: OrchestratorConfig;
  readonly logger: Logger;
}
