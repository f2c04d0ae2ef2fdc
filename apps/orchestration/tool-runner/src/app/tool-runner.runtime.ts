// Owns the tool runner's outside connections and background work, started in dependency order and
// stopped in reverse: the tool registry and policy file (a bad file stops start-up), PostgreSQL
// (one round trip), the Kafka producer and the outbox relay that publishes audit events.

import { workspacePath, type ToolRunnerConfig } from '@hearth/config';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createKafkaClient, EventProducer } from '@hearth/events';
import { ShutdownSteps, type Logger } from '@hearth/telemetry';
import { OutboxRelay } from '@hearth/transactional-events';

import { ToolCallRepository } from '../execution/tool-call.repository';
import { ToolCallService } from '../execution/tool-call.service';
import { ToolExecutor } from '../execution/tool.executor';
import { GuardedHttpClient } from '../net/guarded-http.client';
import { loadToolPolicy } from '../policy/tool-policy.loader';
import { ToolPolicyService } from '../policy/tool-policy.service';
import type { AnyToolDeclaration } from '../registry/tool.model';
import { ToolRegistry } from '../registry/tool.registry';
import { JsSandbox } from '../sandbox/js.sandbox';
import { calculatorTool } from '../tools/calculator.tool';
import { httpFetchTool } from '../tools/http-fetch.tool';
import { runJavascriptTool } from '../tools/run-javascript.tool';
import {
  createRetrievalClient,
  searchKnowledgeTool,
  type RetrievalClient,
} from '../tools/search-knowledge.tool';
import { sendWebhookTool } from '../tools/send-webhook.tool';

/** The policy shipped with the app, used when TOOL_POLICY_PATH is not set. */
export const BUNDLED_POLICY_PATH = workspacePath(
  'apps',
  'orchestration',
  'tool-runner',
  'config',
  'tool-policy.yaml',
);

const CONNECT_TIMEOUT_MS = 10_000;

export interface ToolRunnerRuntimeOptions {
  logger: Logger;
  /** Outbox relay poll interval (ms); specs shorten it. */
  relayPollMs?: number;
}

export class ToolRunnerRuntime {
  readonly registry: ToolRegistry;
  readonly policy: ToolPolicyService;
  readonly prisma: PrismaClient;
  readonly producer: EventProducer;
  readonly relay: OutboxRelay;
  readonly sandbox: JsSandbox;
  readonly toolCalls: ToolCallService;
  private readonly retrieval?: RetrievalClient;
  private readonly stops = new ShutdownSteps();

  constructor(
    config: ToolRunnerConfig,
    private readonly options: ToolRunnerRuntimeOptions,
  ) {
    const { logger } = options;
    this.sandbox = new JsSandbox(config.sandbox);
    const http = new GuardedHttpClient({ allowLoopback: config.http.allowLoopback });
    this.retrieval = config.contextServiceAddress
      ? createRetrievalClient(config.contextServiceAddress)
      : undefined;
    const tools: AnyToolDeclaration[] = [
      calculatorTool,
      httpFetchTool(http, config.http),
      sendWebhookTool(http, config.http),
      runJavascriptTool(this.sandbox, config.sandbox.timeoutMs),
      searchKnowledgeTool(this.retrieval),
    ];
    this.registry = new ToolRegistry(tools);
    const policyPath = config.policyPath ?? BUNDLED_POLICY_PATH;
    this.policy = new ToolPolicyService(
      loadToolPolicy(
        policyPath,
        tools.map((t) => t.name),
      ),
      config.http.allowedHosts,
    );
    logger.info({ policyPath, tools: tools.length }, 'tool registry and policy loaded');

    this.prisma = createPrismaClient(config.databaseUrl, { maxConnections: 10 });
    this.producer = new EventProducer({
      kafka: createKafkaClient({ clientId: config.service, brokers: [...config.kafkaBrokers], logger }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    });
    this.relay = new OutboxRelay({
      prisma: this.prisma,
      producer: this.producer,
      logger,
      pollIntervalMs: options.relayPollMs,
    });
    this.toolCalls = new ToolCallService({
      registry: this.registry,
      policy: this.policy,
      repository: new ToolCallRepository(this.prisma),
      executor: new ToolExecutor(config.limits, logger),
      logger,
      confirmationTtlSeconds: config.limits.confirmationTtlSeconds,
    });
  }

  async start(): Promise<void> {
    try {
      this.stops.push(() => this.prisma.$disconnect());
      await this.prisma.$queryRaw`SELECT 1`;

      await this.producer.connect();
      this.stops.push(() => this.producer.disconnect());

      this.relay.start();
      this.stops.push(() => this.relay.stop());
      if (this.retrieval) this.stops.push(() => this.retrieval?.close());
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops in reverse order; the relay finishes its batch before the producer disconnects. */
  async stop(): Promise<void> {
    await this.stops.runAll(this.options.logger, 'tool runner shutdown step failed');
  }
}
