// The tool runner's own providers, built from its config: the sandbox, the guarded HTTP client, the
// registry of every tool, the tenant policy (a bad policy file fails start-up here, before any
// connection opens) and the executor with its limits.
import { workspacePath, type ToolRunnerConfig } from '@hearth/config';
import type { Logger } from '@hearth/telemetry';

import type { Provider } from '@nestjs/common';

import { ToolExecutor } from '../execution/tool.executor';
import { GuardedHttpClient } from '../net/guarded-http.client';
import { loadToolPolicy } from '../policy/tool-policy.loader';
import { ToolPolicyService } from '../policy/tool-policy.service';
import { ToolRegistry } from '../registry/tool.registry';
import { JsSandbox } from '../sandbox/js.sandbox';
import { calculatorTool } from '../tools/calculator.tool';
import { httpFetchTool } from '../tools/http-fetch.tool';
import { runJavascriptTool } from '../tools/run-javascript.tool';
import { searchKnowledgeTool, type RetrievalClient } from '../tools/search-knowledge.tool';
import { sendWebhookTool } from '../tools/send-webhook.tool';
import { RETRIEVAL_CLIENT, TOOL_RUNNER_CONFIG, TOOL_RUNNER_LOGGER } from './tool-runner.constants';

/** The policy shipped with the app, used when TOOL_POLICY_PATH is not set. */
export const BUNDLED_POLICY_PATH = workspacePath(
  'apps',
  'orchestration',
  'tool-runner',
  'config',
  'tool-policy.yaml',
);

export const toolRunnerProviders: Provider[] = [
  {
    provide: JsSandbox,
    inject: [TOOL_RUNNER_CONFIG],
    useFactory: (config: ToolRunnerConfig) => new JsSandbox(config.sandbox),
  },
  {
    provide: GuardedHttpClient,
    inject: [TOOL_RUNNER_CONFIG],
    useFactory: (config: ToolRunnerConfig) =>
      new GuardedHttpClient({ allowLoopback: config.http.allowLoopback }),
  },
  {
    provide: ToolRegistry,
    inject: [TOOL_RUNNER_CONFIG, JsSandbox, GuardedHttpClient, { token: RETRIEVAL_CLIENT, optional: true }],
    useFactory: (
      config: ToolRunnerConfig,
      sandbox: JsSandbox,
      http: GuardedHttpClient,
      retrieval: RetrievalClient | undefined,
    ) =>
      new ToolRegistry([
        calculatorTool,
        httpFetchTool(http, config.http),
        sendWebhookTool(http, config.http),
        runJavascriptTool(sandbox, config.sandbox.timeoutMs),
        searchKnowledgeTool(retrieval),
      ]),
  },
  {
    provide: ToolPolicyService,
    inject: [TOOL_RUNNER_CONFIG, TOOL_RUNNER_LOGGER, ToolRegistry],
    useFactory: (config: ToolRunnerConfig, logger: Logger, registry: ToolRegistry) => {
      const policyPath = config.policyPath ?? BUNDLED_POLICY_PATH;
      const tools = registry.list().map((tool) => tool.name);
      const policy = new ToolPolicyService(loadToolPolicy(policyPath, tools), config.http.allowedHosts);
      logger.info({ policyPath, tools: tools.length }, 'tool registry and policy loaded');
      return policy;
    },
  },
  {
    provide: ToolExecutor,
    inject: [TOOL_RUNNER_CONFIG, TOOL_RUNNER_LOGGER],
    useFactory: (config: ToolRunnerConfig, logger: Logger) => new ToolExecutor(config.limits, logger),
  },
];
