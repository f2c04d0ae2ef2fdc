// Orchestrator: the turn loop's stores, the services it calls and the bounds of one turn.
import { promptRolloutSchema } from '@hearth/prompts';

import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  grpcAddress,
  grpcServerEnv,
  kafkaEnv,
  metricsEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const orchestratorConfigSchema = z
  .object({
    ...baseEnv,
    ...metricsEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...redisEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50051),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    CONTEXT_SERVICE_ADDRESS: grpcAddress(),
    SAFETY_SERVICE_ADDRESS: grpcAddress(),
    /** Unset: server-side tools are off (turns naming server tools fail with FAILED_PRECONDITION). */
    TOOL_RUNNER_ADDRESS: grpcAddress().optional(),
    /** Server-side tool rounds per turn; a request may ask for fewer, never more. */
    TURN_MAX_TOOL_ROUNDS: positiveInt().max(20).default(5),
    /** Tokens (prompt + completion, all rounds) after which a turn starts no further model call. */
    TURN_MAX_TOKENS: positiveInt().default(16384),
    /** Deadline of each unary step of a turn (context assembly, safety check, tool listing, hot window). */
    TURN_STEP_TIMEOUT_MS: positiveInt().default(10_000),
    /**
     * How long a turn waits for the user to approve or reject a tool call that needs confirmation
     * (ToolRunnerService.ResolveConfirmation); after that the call is rejected and the model told so.
     */
    TURN_CONFIRMATION_WAIT_MS: positiveInt().default(120_000),
    /** Deadline of a whole turn, every model call and tool round included. */
    TURN_TIMEOUT_MS: positiveInt().default(300_000),
    /**
     * How long a client's Idempotency-Key names its turn: a repeat within it replays that turn (or is
     * refused when its body differs); after it, the key may start a new turn. 24 h by default.
     */
    IDEMPOTENCY_WINDOW_MS: positiveInt().default(86_400_000),
    /**
     * How long an assistant draft stays `streaming` without a renewal by the process running its turn
     * (renewed every third of it, with the text streamed so far); after it the sweeper ends the draft.
     */
    DRAFT_LEASE_MS: positiveInt().min(300).default(60_000),
    /** How often each orchestrator ends the drafts whose lease passed. */
    DRAFT_SWEEP_INTERVAL_MS: positiveInt().min(100).default(30_000),
    /**
     * How long a turn's final write (answer, trace, audit) is retried while PostgreSQL is away, the
     * client waiting for its answer's end; then the draft is left to the sweeper with its saved text.
     */
    FINAL_WRITE_RETRY_MS: z.coerce.number().int().min(0).default(30_000),
    /** Database connections (one per concurrent transaction). */
    DATABASE_POOL_SIZE: positiveInt().max(200).default(20),
    /**
     * Prompt variants per model alias as JSON (libs/prompts README): `{"<alias>|*": {"rollout":
     * <percent>, "variants": [{"name", "weight", "prompts": {"grounding"?, "system"?}}]}}`. Unset:
     * every turn gets the default prompts (variant `control`).
     */
    PROMPT_VARIANTS: z
      .string()
      .default('{}')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected JSON' });
          return z.NEVER;
        }
      })
      .pipe(promptRolloutSchema),
  })
  .transform((env) => ({
    ...toBase(env, 'orchestrator'),
    metricsPort: env.METRICS_PORT,
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    upstreams: {
      modelGateway: env.MODEL_GATEWAY_ADDRESS,
      contextService: env.CONTEXT_SERVICE_ADDRESS,
      safetyService: env.SAFETY_SERVICE_ADDRESS,
      toolRunner: env.TOOL_RUNNER_ADDRESS,
    },
    databasePoolSize: env.DATABASE_POOL_SIZE,
    promptRollout: env.PROMPT_VARIANTS,
    turn: { maxToolRounds: env.TURN_MAX_TOOL_ROUNDS, maxTokens: env.TURN_MAX_TOKENS },
    idempotencyWindowMs: env.IDEMPOTENCY_WINDOW_MS,
    drafts: { leaseMs: env.DRAFT_LEASE_MS, sweepIntervalMs: env.DRAFT_SWEEP_INTERVAL_MS },
    finalWriteRetryMs: env.FINAL_WRITE_RETRY_MS,
    timeouts: {
      stepMs: env.TURN_STEP_TIMEOUT_MS,
      turnMs: env.TURN_TIMEOUT_MS,
      confirmationWaitMs: env.TURN_CONFIRMATION_WAIT_MS,
    },
  }));

export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;
