import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';

import { grpcClientMetricsInterceptor, grpcServerMetricsHook } from './grpc-metrics.hooks';
import { GrpcMetrics } from './grpc.metrics';

const identity = (value: Buffer) => value;

/** A two-rpc service on raw bytes: Ok answers, Fail ends NOT_FOUND. */
const ECHO: grpc.ServiceDefinition = Object.fromEntries(
  ['Ok', 'Fail'].map((name) => [
    name,
    {
      path: `/test.v1.Echo/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  ]),
);

type Sample = {
  readonly metricName?: string;
  readonly value: number;
  readonly labels: Record<string, unknown>;
};

async function samplesOf(registry: Registry, name: string): Promise<readonly Sample[]> {
  return (await registry.getSingleMetric(name)!.get()).values as readonly Sample[];
}

async function sampleValue(registry: Registry, name: string, labels: Record<string, string>) {
  const match = (await samplesOf(registry, name)).find(
    (v) => (v.metricName ?? name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return match?.value;
}

describe('gRPC RED metrics', () => {
  let registry: Registry;
  let sut: GrpcMetrics;

  beforeEach(() => {
    registry = new Registry();
    sut = new GrpcMetrics(registry);
  });

  describe(grpcServerMetricsHook.name, () => {
    it('counts a call that ends OK and times it, by service and method', async () => {
      const end = grpcServerMetricsHook(sut).onCall({
        path: '/hearth.context.v1.ContextService/Assemble',
        metadata: new grpc.Metadata(),
      });
      end?.({ code: grpc.status.OK });

      const labels = { service: 'hearth.context.v1.ContextService', method: 'Assemble', code: 'OK' };
      expect(await sampleValue(registry, 'hearth_grpc_server_requests_total', labels)).toBe(1);
      expect((await registry.getSingleMetric('hearth_grpc_server_duration_seconds')!.get()).type).toBe(
        'histogram',
      );
      const samples = await samplesOf(registry, 'hearth_grpc_server_duration_seconds');
      expect(samples.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
    });

    it('counts a failed call under the status code it ended with', async () => {
      const end = grpcServerMetricsHook(sut).onCall({
        path: '/hearth.context.v1.ContextService/Assemble',
        metadata: new grpc.Metadata(),
      });
      end?.({ code: grpc.status.NOT_FOUND, error: new Error('no such conversation') });

      const labels = { method: 'Assemble', code: 'NOT_FOUND' };
      expect(await sampleValue(registry, 'hearth_grpc_server_requests_total', labels)).toBe(1);
      expect(
        await sampleValue(registry, 'hearth_grpc_server_requests_total', { code: 'OK' }),
      ).toBeUndefined();
    });
  });

  describe(grpcClientMetricsInterceptor.name, () => {
    let server: grpc.Server;
    let client: grpc.Client;

    beforeAll(async () => {
      server = new grpc.Server();
      server.addService(ECHO, {
        Ok: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
          done(null, call.request),
        Fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
          done({ code: grpc.status.NOT_FOUND, details: 'gone' }),
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        interceptors: [(options, next) => grpcClientMetricsInterceptor(sut, 'echo')(options, next)],
      });
    });

    afterAll(() => {
      client.close();
      server.forceShutdown();
    });

    const call = (method: 'Ok' | 'Fail') =>
      new Promise<grpc.status>((resolve) =>
        client.makeUnaryRequest(
          `/test.v1.Echo/${method}`,
          identity,
          identity,
          Buffer.from('ping'),
          new grpc.Metadata(),
          { deadline: Date.now() + 5_000 },
          (error) => resolve(error ? (error.code as grpc.status) : grpc.status.OK),
        ),
      );

    it('counts the good call as OK and the failed one with its code, by upstream and method', async () => {
      expect(await call('Ok')).toBe(grpc.status.OK);
      expect(await call('Fail')).toBe(grpc.status.NOT_FOUND);

      const base = { upstream: 'echo', service: 'test.v1.Echo' };
      expect(
        await sampleValue(registry, 'hearth_grpc_client_requests_total', {
          ...base,
          method: 'Ok',
          code: 'OK',
        }),
      ).toBe(1);
      expect(
        await sampleValue(registry, 'hearth_grpc_client_requests_total', {
          ...base,
          method: 'Fail',
          code: 'NOT_FOUND',
        }),
      ).toBe(1);
      const samples = await samplesOf(registry, 'hearth_grpc_client_duration_seconds');
      const counts = samples.filter((v) => v.metricName?.endsWith('_count'));
      expect(counts.map((v) => v.value)).toEqual([1, 1]);
    });
  });
});
