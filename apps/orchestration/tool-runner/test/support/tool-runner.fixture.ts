// Starts a real tool runner in the test process (its own migrated PostgreSQL database, the shared
// Kafka broker, a policy file on disk) and calls it over gRPC with a raw @grpc/grpc-js client built
// from the same protos. Tenants are real rows, since tool calls reference them.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, toolRunnerConfigSchema } from '@hearth/config';
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf, toolsV1 } from '@hearth/contracts';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, infraEnv, type TestDatabase } from '@hearth/testing';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
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

type Unary = (
  request: unknown,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => void;

let clientConstructor: grpc.ServiceClientConstructor | undefined;

function toolRunnerClient(
  address: string,
): grpc.Client & Record<'ListTools' | 'ExecuteTool' | 'ResolveConfirmation', Unary> {
  if (!clientConstructor) {
    const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.toolsV1]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      hearth: { tools: { v1: Record<string, grpc.ServiceClientConstructor> } };
    };
    clientConstructor = pkg.hearth.tools.v1[toolsV1.TOOL_RUNNER_SERVICE_NAME];
  }
  return new clientConstructor(address, grpc.credentials.createInsecure()) as never;
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
  const client = toolRunnerClient(runner.address);
  const call = <T>(
    method: 'ListTools' | 'ExecuteTool' | 'ResolveConfirmation',
    request: unknown,
    deadlineMs = 30_000,
  ) =>
    new Promise<T>((resolve, reject) =>
      client[method](request, { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response as T),
      ),
    );

  return {
    runner,
    db,
    createTenant: async (id = randomUUID()) => {
      const tenant = await db.prisma.tenant.create({ data: { id, name: 'spec', slug: `spec-${id}` } });
      return tenant.id;
    },
    listTools: (caller) => call('ListTools', { caller }),
    execute: async (request, deadlineMs) =>
      (
        await call<toolsV1.ExecuteToolResponse>(
          'ExecuteTool',
          { callId: `call_${randomUUID()}`, argumentsJson: '{}', ...request },
          deadlineMs,
        )
      ).execution as toolsV1.ToolExecution,
    resolve: async (request) =>
      (
        await call<toolsV1.ResolveConfirmationResponse>('ResolveConfirmation', {
          decision: toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_APPROVE,
          ...request,
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
    return (error as grpc.ServiceError).code;
  }
}
