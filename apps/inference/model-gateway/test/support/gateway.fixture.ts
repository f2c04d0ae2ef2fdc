// Starts a real gateway in the test process (real Redis, real Kafka, a registry file on disk) and
// calls it over gRPC with the typed @hearth/grpc client, as the orchestrator does.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, modelGatewayConfigSchema } from '@hearth/config';
import { gatewayV1 } from '@hearth/contracts';
import { createGrpcClient, toGrpcError, type GrpcClient, type GrpcError } from '@hearth/grpc';
import { createLogger, type Logger } from '@hearth/telemetry';
import { freePort, infraEnv } from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';

import { createGatewayApp, type GatewayApp } from '../../src/app/gateway-app.factory';

/** Fast polling and breaking, so failures show within a test's patience. */
export const TEST_ROUTING = {
  statsIntervalMs: 200,
  // As fast while idle: specs break workers while no request runs and wait for the breaker.
  statsIdleIntervalMs: 200,
  // Generous for loaded CI machines: stats older than 3 intervals + this timeout make a worker unroutable.
  statsTimeoutMs: 1_000,
  maxAttemptsPerModel: 2,
  firstTokenTimeoutMs: 10_000,
  breaker: { consecutiveFailures: 2, halfOpenAfterMs: 1_000 },
};

export type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

export interface GatewayFixture {
  gateway: GatewayApp;
  client: GatewayClient;
  registryPath: string;
  dir: string;
  generate(request: gatewayV1.GenerateRequest, options?: CallOptions): Promise<GenerateOutcome>;
  stream(
    request: gatewayV1.GenerateRequest,
    options?: CallOptions,
  ): grpc.ClientReadableStream<gatewayV1.GenerateResponse>;
  writeRegistry(registry: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface CallOptions {
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

export interface GenerateOutcome {
  messages: gatewayV1.GenerateResponse[];
  error?: GrpcError;
  text: string;
  last?: gatewayV1.GenerateResponse;
}

export function gatewayClient(address: string): GatewayClient {
  return createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, { address, defaultTimeoutMs: 10_000 });
}

export async function startGateway(
  registry: unknown,
  options: { logger?: Logger; env?: Record<string, string> } = {},
): Promise<GatewayFixture> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'gateway-'));
  const registryPath = join(dir, 'registry.yaml');
  await writeFile(registryPath, stringify(registry));
  const port = await freePort();
  const config = loadConfig(modelGatewayConfigSchema, {
    LOG_LEVEL: 'warn',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(port),
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    MODEL_REGISTRY_PATH: registryPath,
    ...options.env,
  });
  const logger = options.logger ?? createLogger({ service: 'model-gateway', level: 'error' });
  let gateway: GatewayApp;
  try {
    gateway = await createGatewayApp(config, { logger });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const client = gatewayClient(gateway.address);

  const stream = (request: gatewayV1.GenerateRequest, call: CallOptions = {}) =>
    client.generate(request, { metadata: call.metadata, timeoutMs: call.deadlineMs ?? 30_000 });

  return {
    gateway,
    client,
    registryPath,
    dir,
    stream,
    generate: (request, call) =>
      new Promise((resolve) => {
        const messages: gatewayV1.GenerateResponse[] = [];
        const done = (error?: grpc.ServiceError) =>
          resolve({
            messages,
            error: error && toGrpcError(error, client.upstream),
            text: messages.map((m) => m.text).join(''),
            last: messages[messages.length - 1],
          });
        const call$ = stream(request, call);
        call$.on('data', (message: gatewayV1.GenerateResponse) => messages.push(message));
        call$.on('error', (error: grpc.ServiceError) => done(error));
        call$.on('end', () => done());
      }),
    writeRegistry: (next) => writeFile(registryPath, stringify(next)),
    close: async () => {
      client.close();
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A registry model entry for the medium specs. */
export function registryModel(
  id: string,
  sha256: string,
  endpoints: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    tier: 'cpu-tiny',
    sha256,
    contextLength: 512,
    price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
    workers: { endpoints },
    ...extra,
  };
}
