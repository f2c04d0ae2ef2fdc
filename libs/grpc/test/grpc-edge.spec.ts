// The edge end to end over loopback: typed clients against a NestJS gRPC server that uses the library's
// exception filter and server interceptor. Errors keep their reason and metadata across the wire,
// deadlines and cancellation reach the server, only declared methods are retried and only on
// UNAVAILABLE, request ids follow a request to the next hop, and both hook points see every call.
import { Writable } from 'node:stream';

import {
  commonV1,
  grpcTransportOptions,
  inferenceV1,
  PROTO_PACKAGES,
  safetyV1,
  toolsV1,
} from '@hearth/contracts';
import { createLogger, startTelemetry, withSpan, type TelemetryShutdown } from '@hearth/telemetry';
import { freePort } from '@hearth/testing';

import { InterceptingCall, Metadata, status, type Interceptor, type ServiceError } from '@grpc/grpc-js';
import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

import {
  createGrpcClient,
  GrpcClientModule,
  GrpcError,
  grpcServerProviders,
  runInRequestScope,
  toGrpcError,
  type GrpcServerCallInfo,
  type GrpcServerCallOutcome,
  type GrpcServerHook,
} from '../src';
import {
  Observations,
  ScriptedSafetyController,
  ScriptedToolRunnerController,
  ScriptedWorkerController,
  SELF_CLIENT,
  type ToolRunnerClient,
} from './support/scripted-services';

const CALLER: commonV1.Caller = {
  tenantId: '6f1c2a4e-8d3b-4c5f-9a7e-2b1d0c9e8f71',
  userId: '',
  apiKeyId: '',
};

class RecordingHook implements GrpcServerHook {
  readonly calls: { info: GrpcServerCallInfo; outcome?: GrpcServerCallOutcome }[] = [];

  onCall(info: GrpcServerCallInfo) {
    const entry: { info: GrpcServerCallInfo; outcome?: GrpcServerCallOutcome } = { info };
    this.calls.push(entry);
    return (outcome: GrpcServerCallOutcome) => {
      entry.outcome = outcome;
    };
  }

  /** The last recorded call of `path` once it has ended. */
  async ended(path: string): Promise<{ info: GrpcServerCallInfo; outcome: GrpcServerCallOutcome }> {
    for (;;) {
      const entry = [...this.calls].reverse().find((call) => call.info.path === path);
      if (entry?.outcome) return { info: entry.info, outcome: entry.outcome };
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Counts call starts through the client interceptor hook. */
function countingInterceptor(counter: { starts: number }): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        counter.starts += 1;
        next(metadata, listener);
      },
    });
}

function executeRequest(name: string, callId: string, argumentsJson = ''): toolsV1.ExecuteToolRequest {
  return {
    caller: CALLER,
    requestId: '',
    conversationId: '',
    callId,
    idempotencyKey: '',
    name,
    argumentsJson,
    deadline: null,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

const EXECUTE_PATH = '/hearth.tools.v1.ToolRunnerService/ExecuteTool';

describe('gRPC edge over loopback', () => {
  const seen = new Observations();
  const hook = new RecordingHook();
  const logLines: Record<string, unknown>[] = [];
  let app: INestMicroservice;
  let address: string;
  let tools: ToolRunnerClient;

  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
    const logger = createLogger({
      service: 'grpc-edge-spec',
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    });

    @Module({
      imports: [
        GrpcClientModule.forClient({
          provide: SELF_CLIENT,
          definition: toolsV1.ToolRunnerServiceDefinition,
          useFactory: () => ({ address, upstream: 'tool runner' }),
        }),
      ],
      controllers: [ScriptedToolRunnerController, ScriptedWorkerController, ScriptedSafetyController],
      providers: [
        { provide: Observations, useValue: seen },
        ...grpcServerProviders({
          useFactory: () => ({
            logger,
            domain: 'edge-spec',
            upstreamErrors: { passOn: [status.NOT_FOUND], otherwise: status.UNAVAILABLE },
            hooks: [hook],
          }),
        }),
      ],
    })
    class EdgeSpecModule {}

    app = await NestFactory.createMicroservice<MicroserviceOptions>(EdgeSpecModule, {
      transport: Transport.GRPC,
      options: grpcTransportOptions(
        [PROTO_PACKAGES.toolsV1, PROTO_PACKAGES.inferenceV1, PROTO_PACKAGES.safetyV1],
        address,
      ),
      logger: false,
    });
    await app.listen();
    tools = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, { address, upstream: 'tool runner' });
  });

  afterAll(async () => {
    tools?.close();
    await app?.close();
  });

  describe('typed unary calls', () => {
    it('send the request with its Date, the trace context, request id and idempotency key', async () => {
      const deadline = new Date('2030-01-02T03:04:05.678Z');

      const response = await tools.executeTool(
        { ...executeRequest('echo', 'echo-1', '{"a":1}'), deadline },
        { requestId: 'req_abc', idempotencyKey: 'idem-1' },
      );

      expect(response.execution?.status).toBe(toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED);
      // Unset message fields decode as null, as proto-loader has always decoded them.
      expect(response.execution?.error).toBeNull();
      expect(JSON.parse(response.execution?.resultJson ?? '')).toMatchObject({
        arguments: '{"a":1}',
        deadlineIsDate: true,
        deadline: deadline.toISOString(),
        requestId: 'req_abc',
        idempotencyKey: 'idem-1',
      });
    });

    it('reject with the domain error: code, reason, message, metadata and the server domain', async () => {
      const sut = await rejectionOf(tools.executeTool(executeRequest('not-found', 'nf-1', 'f-42')));

      expect(sut).toMatchObject({
        code: status.NOT_FOUND,
        reason: 'FILE_NOT_FOUND',
        message: 'file "f-42" not found',
        metadata: { fileId: 'f-42' },
        domain: 'edge-spec',
        upstream: 'tool runner',
      });
    });

    it('carry the retry hint as RetryInfo and the documented trailers', async () => {
      const sut = await rejectionOf(tools.executeTool(executeRequest('quota', 'q-1')));

      expect(sut).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        reason: 'QUOTA_EXCEEDED',
        retryAfterMs: 1_500,
      });
      expect(sut.trailers).toMatchObject({
        'retry-after-ms': '1500',
        'quota-reset-at': '2026-01-01T00:01:00.000Z',
      });
    });

    it('hide an unexpected error behind an error id that the log line carries', async () => {
      const sut = await rejectionOf(tools.executeTool(executeRequest('crash', 'crash-1')));

      expect(sut.code).toBe(status.INTERNAL);
      expect(sut.message).not.toContain('hunter2');
      const errorId = sut.metadata['errorId'];
      expect(sut.message).toBe(`internal error (error id ${errorId})`);
      expect(logLines).toContainEqual(expect.objectContaining({ errorId, level: 'error' }));
    });

    it('keep the code of a NestJS RpcException', async () => {
      const sut = await rejectionOf(tools.executeTool(executeRequest('rpc-exception', 'rpc-1')));

      expect(sut).toMatchObject({
        code: status.FAILED_PRECONDITION,
        reason: 'FAILED_PRECONDITION',
        message: 'not now',
      });
    });

    it('pass an upstream error on per the policy: a listed code keeps its reason, another becomes UNAVAILABLE', async () => {
      const passed = await rejectionOf(tools.executeTool(executeRequest('forward', 'fwd-1', 'not-found')));
      const replaced = await rejectionOf(tools.executeTool(executeRequest('forward', 'fwd-2', 'crash')));

      expect(passed).toMatchObject({
        code: status.NOT_FOUND,
        reason: 'FILE_NOT_FOUND',
        message: 'tool runner: file "not-found" not found',
        domain: 'edge-spec',
      });
      expect(replaced).toMatchObject({ code: status.UNAVAILABLE, reason: 'UNAVAILABLE' });
      expect(replaced.message).toMatch(/^tool runner: internal error \(error id [0-9a-f-]+\)$/);
    });
  });

  describe('deadlines and cancellation', () => {
    it('reach the server, and a call past its deadline fails DEADLINE_EXCEEDED', async () => {
      const before = Date.now();

      const sut = await rejectionOf(tools.executeTool(executeRequest('slow', 'slow-1'), { timeoutMs: 150 }));

      expect(sut.code).toBe(status.DEADLINE_EXCEEDED);
      const serverDeadline = seen.deadlines.get('slow-1') as number;
      // The server counts the timeout from when the call arrived: a little later than the client did.
      expect(serverDeadline).toBeGreaterThanOrEqual(before + 150);
      expect(serverDeadline).toBeLessThanOrEqual(before + 150 + 1_000);
    });

    it('take the earlier of an absolute deadline and a timeout', async () => {
      const deadline = Date.now() + 60_000;

      await tools.executeTool(executeRequest('echo', 'dl-1'), { deadline, timeoutMs: 120_000 });

      // The grpc-timeout header counts whole milliseconds, rounded up.
      expect(seen.deadlines.get('dl-1')).toBeLessThanOrEqual(deadline + 50);
      expect(seen.deadlines.get('dl-1')).toBeGreaterThan(deadline - 1_000);
    });

    it('cancel a call when its signal aborts, before or during the call', async () => {
      const during = new AbortController();
      const pending = tools.executeTool(executeRequest('slow', 'abort-1'), { signal: during.signal });
      setTimeout(() => during.abort(), 50);

      expect((await rejectionOf(pending)).code).toBe(status.CANCELLED);
      expect(
        (
          await rejectionOf(
            tools.executeTool(executeRequest('echo', 'abort-2'), { signal: AbortSignal.abort() }),
          )
        ).code,
      ).toBe(status.CANCELLED);
      expect(seen.attempts.has('abort-2')).toBe(false);
    });
  });

  describe('retry policy', () => {
    it('retries a declared method on UNAVAILABLE until it answers', async () => {
      const counter = { starts: 0 };
      const sut = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
        address,
        retry: { methods: ['executeTool'], maxAttempts: 3, initialDelayMs: 5 },
        interceptors: [countingInterceptor(counter)],
      });

      const response = await sut.executeTool(executeRequest('flaky', 'flaky-declared'));
      sut.close();

      expect(JSON.parse(response.execution?.resultJson ?? '')).toEqual({ attempt: 3 });
      expect(seen.attempts.get('flaky-declared')).toBe(3);
      expect(counter.starts).toBe(3);
    });

    it('does not retry a method it does not declare', async () => {
      const sut = await rejectionOf(tools.executeTool(executeRequest('flaky', 'flaky-undeclared')));

      expect(sut.code).toBe(status.UNAVAILABLE);
      expect(seen.attempts.get('flaky-undeclared')).toBe(1);
    });

    it('does not retry a declared method on another code', async () => {
      const sut = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
        address,
        retry: { methods: ['executeTool'], maxAttempts: 5, initialDelayMs: 5 },
      });

      const error = await rejectionOf(sut.executeTool(executeRequest('internal', 'internal-declared')));
      sut.close();

      expect(error).toMatchObject({ code: status.INTERNAL, reason: 'BROKEN' });
      expect(seen.attempts.get('internal-declared')).toBe(1);
    });

    it('retries a refused connection up to its attempts, each through the interceptors', async () => {
      const counter = { starts: 0 };
      const sut = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
        address: `127.0.0.1:${await freePort()}`,
        retry: { methods: ['executeTool', 'listTools'], maxAttempts: 3, initialDelayMs: 5 },
        interceptors: [countingInterceptor(counter)],
      });

      const error = await rejectionOf(
        sut.executeTool(executeRequest('echo', 'refused'), { timeoutMs: 5_000 }),
      );
      sut.close();

      expect(error).toMatchObject({ code: status.UNAVAILABLE, upstream: 'ToolRunnerService' });
      expect(counter.starts).toBe(3);
    });
  });

  describe('streams', () => {
    it('type a server stream, with the deadline on the server and a mid-stream error decoded by reason', async () => {
      const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, { address });
      const request: inferenceV1.GenerateRequest = {
        requestId: 'gen-1',
        modelId: 'm',
        messages: [],
        prompt: 'fail',
        tools: [],
        priority: commonV1.PriorityTier.PRIORITY_TIER_UNSPECIFIED,
        cacheSalt: '',
        chatTemplate: '',
      };

      const call = worker.generate(request, { timeoutMs: 10_000 });
      const texts: string[] = [];
      const failure = await new Promise<ServiceError>((resolve, reject) => {
        call.on('data', (message: inferenceV1.GenerateResponse) => texts.push(message.text));
        call.on('error', resolve);
        call.on('end', () => reject(new Error('the stream ended without its error')));
      });
      worker.close();

      expect(texts).toEqual(['Hel']);
      expect(toGrpcError(failure, 'worker')).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        reason: 'QUEUE_FULL',
        metadata: { depth: '8' },
        retryAfterMs: 200,
      });
      expect(seen.deadlines.get('gen-1')).toBeGreaterThan(Date.now());
    });

    it('type a bidirectional stream', async () => {
      const safety = createGrpcClient(safetyV1.SafetyServiceDefinition, { address });

      const call = safety.checkOutputStream();
      const released: string[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        call.on('data', (response: safetyV1.CheckOutputStreamResponse) =>
          released.push(response.releasedText),
        );
        call.on('error', reject);
        call.on('end', resolve);
      });
      call.write({ delta: 'one ' });
      call.write({ delta: 'two' });
      call.end();
      await ended;
      safety.close();

      expect(released).toEqual(['one ', 'two']);
    });
  });

  describe('request scope and server hooks', () => {
    it('carries the request id of the request being served to the next hop', async () => {
      const response = await runInRequestScope({ requestId: 'req_outer' }, () =>
        tools.executeTool(executeRequest('forward', 'fwd-rid', 'echo')),
      );

      expect(JSON.parse(response.execution?.resultJson ?? '')).toMatchObject({ requestId: 'req_outer' });
    });

    it('reports each call to the hooks with its path, request id and the status it ended with', async () => {
      await tools.executeTool(executeRequest('echo', 'hook-ok'), { requestId: 'req_hook' });
      const ok = await hook.ended(EXECUTE_PATH);
      await rejectionOf(tools.executeTool(executeRequest('not-found', 'hook-nf')));
      const failed = await hook.ended(EXECUTE_PATH);

      expect(ok.info.requestId).toBe('req_hook');
      expect(ok.outcome.code).toBe(status.OK);
      expect(failed.outcome.code).toBe(status.NOT_FOUND);
    });
  });

  describe('types', () => {
    it('do not compile a wrong method, request or retry declaration (checked by tsc)', () => {
      const check = () => {
        // @ts-expect-error no such rpc
        void tools.executeTol(executeRequest('echo', 'x'));
        // @ts-expect-error a ListToolsRequest is not an ExecuteToolRequest
        void tools.executeTool({ caller: CALLER });
        createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
          address,
          // @ts-expect-error a streaming rpc cannot be retried
          retry: { methods: ['generate'] },
        });
      };

      expect(typeof check).toBe('function');
    });
  });

  describe('spans', () => {
    const exporter = new InMemorySpanExporter();
    let stopTelemetry: TelemetryShutdown;
    const EXECUTE = 'hearth.tools.v1.ToolRunnerService/ExecuteTool';

    beforeAll(() => {
      stopTelemetry = startTelemetry({
        serviceName: 'grpc-edge-spec',
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
    });

    afterAll(async () => {
      await stopTelemetry();
    });

    beforeEach(() => exporter.reset());

    it('a CLIENT span under the caller, a SERVER span under it, the handler running in the latter', async () => {
      const { response, caller } = await withSpan('caller', async (span) => ({
        response: await tools.executeTool(executeRequest('echo', 'span-1', '{}')),
        caller: span.spanContext(),
      }));
      const echoed = JSON.parse(response.execution?.resultJson ?? '') as Record<string, string>;
      const spans = exporter.getFinishedSpans();
      const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === EXECUTE)!;
      const server = spans.find((s) => s.kind === SpanKind.SERVER && s.name === EXECUTE)!;

      expect(client.spanContext().traceId).toBe(caller.traceId);
      expect(client.parentSpanContext?.spanId).toBe(caller.spanId);
      expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
      expect(server.spanContext().traceId).toBe(caller.traceId);
      expect(echoed['traceparent']).toBe(`00-${caller.traceId}-${client.spanContext().spanId}-01`);
      expect(echoed['activeSpanId']).toBe(server.spanContext().spanId);
      expect(server.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.service': 'hearth.tools.v1.ToolRunnerService',
        'rpc.method': 'ExecuteTool',
        'rpc.grpc.status_code': status.OK,
      });
      expect([client.status.code, server.status.code]).toEqual([SpanStatusCode.UNSET, SpanStatusCode.UNSET]);
    });

    it('continues a traceparent the caller set in the metadata when no span is active', async () => {
      const metadata = new Metadata();
      metadata.set('traceparent', `00-${'4'.repeat(32)}-${'5'.repeat(16)}-01`);

      await tools.executeTool(executeRequest('echo', 'span-4', '{}'), { metadata });
      const client = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT)!;

      expect(client.spanContext().traceId).toBe('4'.repeat(32));
      expect(client.parentSpanContext?.spanId).toBe('5'.repeat(16));
    });

    it("marks a NOT_FOUND as the client's error but not the server's; an INTERNAL as both", async () => {
      await rejectionOf(tools.executeTool(executeRequest('not-found', 'span-2', 'f-1')));
      await rejectionOf(tools.executeTool(executeRequest('crash', 'span-3')));
      const spans = exporter.getFinishedSpans();
      const outcome = (kind: SpanKind) =>
        spans
          .filter((s) => s.kind === kind)
          .map((s) => [s.attributes['rpc.grpc.status_code'], s.status.code]);

      expect(outcome(SpanKind.CLIENT)).toEqual([
        [status.NOT_FOUND, SpanStatusCode.ERROR],
        [status.INTERNAL, SpanStatusCode.ERROR],
      ]);
      expect(outcome(SpanKind.SERVER)).toEqual([
        [status.NOT_FOUND, SpanStatusCode.UNSET],
        [status.INTERNAL, SpanStatusCode.ERROR],
      ]);
    });
  });
});
