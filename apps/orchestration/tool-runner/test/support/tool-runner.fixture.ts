// Starts a real tool runner in the test process (its own migrated PostgreSQL database, the shared
// Kafka broker, a policy file on disk) and calls it over gRPC with the typed client the orchestrator
// uses. Tenants are real rows, since tool calls reference them.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, toolRunnerConfigSchema } from '@hearth/config';
import { commonV1, toolsV1 } from '@hearth/contracts';
import { createGrpcClient, GrpcError } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, infraEnv, type TestDatabase } from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';

import { createToolRunnerApp, type ToolRunnerApp } from '../../src/app/tool-runner-app.factory';

export interface ToolRunnerFixture {
  runner: ToolRunnerApp;
  db: TestDatabase;
  /** Inserts a tenant row (with the given id, as named in the policy). */
  createTenant(id?: string): Promise<string>;
  listTools(caller: Caller): Promise<toolsV1.ListToolsResponse>;
  execute(
    request: Omit<Partial<toolsV1.ExecuteToolRequest>, 'caller'> & { caller: Caller; name: string },
    deadlineMs?: number,
  ): Promise<toolsV1.ToolExecution>;
  resolve(
    request: Omit<Partial<toolsV1.ResolveConfirmationRequest>, 'caller'> & { caller: Caller; callId: string },
  ): Promise<toolsV1.ToolExecution>;
  close(): Promise<void>;
}

export interface Caller {
  tenantId: string;
  userId?: string;
  apiKeyId?: string;
}

function protoCaller(caller: Caller): commonV1.Caller {
  return { tenantId: caller.tenantId, userId: caller.userId ?? '', apiKeyId: caller.apiKeyId ?? '' };
}

export async function startToolRunner(
  policy: unknown,
  env: Record<string, string> = {},
): Promise<ToolRunnerFixture> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'tool-runner-'));
  const policyPath = join(dir, 'tool-policy.yaml');
  await writeFile(policyPath, stringify(policy));
  const db = await createTestDatabase();
  const config = loadConfig(toolRunnerConfigSchema, {
    LOG_LEVEL: 'warn',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(await freePort()),
    DATABASE_URL: db.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TOOL_POLICY_PATH: policyPath,
    ...env,
  });
  const logger = createLogger({ service: 'tool-runner', level: 'error' });
  let runner: ToolRunnerApp;
  try {
    runner = await createToolRunnerApp(config, { logger, relayPollMs: 100 });
  } catch (error) {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const client = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
    address: runner.address,
    defaultTimeoutMs: 30_000,
  });

  return {
    runner,
    db,
    createTenant: async (id = randomUUID()) => {
      const tenant = await db.prisma.tenant.create({ data: { id, name: 'spec', slug: `spec-${id}` } });
      return tenant.id;
    },
    listTools: (caller) => client.listTools({ caller: protoCaller(caller) }),
    execute: async (request, deadlineMs) =>
      (
        await client.executeTool(
          {
            requestId: '',
            conversationId: '',
            callId: `call_${randomUUID()}`,
            idempotencyKey: '',
            argumentsJson: '{}',
            deadline: null,
            ...request,
            caller: protoCaller(request.caller),
          },
          { timeoutMs: deadlineMs },
        )
      ).execution as toolsV1.ToolExecution,
    resolve: async (request) =>
      (
        await client.resolveConfirmation({
          decision: toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_APPROVE,
          reason: '',
          deadline: null,
          ...request,
          caller: protoCaller(request.caller),
        })
      ).execution as toolsV1.ToolExecution,
    close: async () => {
      client.close();
      await runner.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The gRPC status code of a rejected call. */
export async function grpcCode(promise: Promise<unknown>): Promise<grpc.status | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof GrpcError) return error.code;
    throw error;
  }
}
