// The standard grpc.health.v1.Health service served by GrpcHealthModule over a real gRPC server, called
// by a raw @grpc/grpc-js client as a Kubernetes probe or the gateway would.
import { Client, credentials, status } from '@grpc/grpc-js';
import { INestMicroservice, Module } from '@nestjs/common';

import {
  GrpcHealthController,
  GrpcHealthModule,
  GrpcHealthService,
  healthV1,
  inferenceV1,
  PROTO_PACKAGES,
  qualifiedServiceName,
} from '../src';
import { rawClientConstructor, startGrpcMicroservice, unary } from './grpc-test-server';

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = healthV1.HealthCheckResponse_ServingStatus;
const WORKER = qualifiedServiceName(PROTO_PACKAGES.inferenceV1, inferenceV1.INFERENCE_WORKER_SERVICE_NAME);

@Module({ imports: [GrpcHealthModule] })
class HealthOnlyModule {}

describe(GrpcHealthController.name, () => {
  let app: INestMicroservice;
  let sut: Client;
  let health: GrpcHealthService;

  beforeAll(async () => {
    let address: string;
    ({ app, address } = await startGrpcMicroservice(HealthOnlyModule, [PROTO_PACKAGES.healthV1]));
    health = app.get(GrpcHealthService);
    const HealthClient = rawClientConstructor(PROTO_PACKAGES.healthV1, healthV1.HEALTH_SERVICE_NAME);
    sut = new HealthClient(address, credentials.createInsecure());
  });

  afterAll(async () => {
    sut?.close();
    await app?.close();
  });

  it('answers SERVING for the server as a whole', async () => {
    const response = await unary<healthV1.HealthCheckRequest, healthV1.HealthCheckResponse>(sut, 'check', {
      service: '',
    });

    expect(response.status).toBe(SERVING);
  });

  it('answers the status set for a registered service', async () => {
    health.setStatus(WORKER, NOT_SERVING);

    const response = await unary<healthV1.HealthCheckRequest, healthV1.HealthCheckResponse>(sut, 'check', {
      service: WORKER,
    });

    expect(response.status).toBe(NOT_SERVING);
  });

  it('answers NOT_FOUND for an unknown service', async () => {
    const check = unary(sut, 'check', { service: 'hearth.nope.v1.NopeService' });

    await expect(check).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('lists every registered service', async () => {
    health.setStatus(WORKER, SERVING);

    const response = await unary<healthV1.HealthListRequest, healthV1.HealthListResponse>(sut, 'list', {});

    expect(response.statuses).toEqual({ '': { status: SERVING }, [WORKER]: { status: SERVING } });
  });

  it('streams SERVICE_UNKNOWN, then the status once the service registers, on Watch', async () => {
    const service = 'hearth.late.v1.LateService';
    const call = (
      sut as unknown as { watch(r: healthV1.HealthCheckRequest): NodeJS.ReadableStream & { cancel(): void } }
    ).watch({
      service,
    });
    const seen: number[] = [];
    const twoUpdates = new Promise<void>((resolve, reject) => {
      call.on('error', (error: { code: number }) =>
        error.code === status.CANCELLED ? undefined : reject(error),
      );
      call.on('data', (message: healthV1.HealthCheckResponse) => {
        seen.push(message.status);
        if (seen.length === 1) health.setStatus(service, SERVING);
        if (seen.length === 2) resolve();
      });
    });

    await twoUpdates;
    call.cancel();

    expect(seen).toEqual([SERVICE_UNKNOWN, SERVING]);
  });
});
