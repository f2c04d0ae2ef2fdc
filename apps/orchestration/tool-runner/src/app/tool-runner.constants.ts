// Injection tokens of the tool runner: the values it starts from (validated config, logger, options
// the specs set) and the context service's client, which exists only when an address is configured.
import type { ToolRunnerConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

export const TOOL_RUNNER_CONFIG = Symbol('TOOL_RUNNER_CONFIG');
export const TOOL_RUNNER_LOGGER = Symbol('TOOL_RUNNER_LOGGER');
export const RETRIEVAL_CLIENT = Symbol('RETRIEVAL_CLIENT');

export interface ToolRunnerDependencies {
  readonly config: ToolRunnerConfig;
  readonly logger: Logger;
  /** Outbox relay poll interval (ms); specs shorten it. */
  readonly relayPollMs?: number;
}
