// A real gRPC round trip through the generated inference-worker contract: a NestJS microservice whose
// controller implements the generated controller interface, called by a raw @grpc/grpc-js client and
// by a NestJS ClientGrpc, both built from the same .proto files.
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { ClientGrpc, ClientProxyFactory, RpcException, Transport } from '@nestjs/microservices';
import { firstValueFrom, from, Observable } from 'rxjs';

import { commonV1, grpcTransportOptions, inferenceV1, PROTO_PACKAGES } from '../src';
import { rawClientConstructor, serverStream, startGrpcMicroservice, unary } from './grpc-test-server';

const MODEL_ID = 'gemma-3-270m-it';
const REPLY_TOKENS = ['Hel', 'lo', ',', ' world'];

/** A scripted worker: streams a fixed reply, so the spec checks the transport and the types, not a model. */
@Controller()
@inferenceV1.InferenceWorkerServiceControllerMethods()
class ScriptedInferenceWorkerController implements inferenceV1.InferenceWorkerServiceController {
  readonly received: inferenceV1.GenerateRequest[] = [];

  generate(
    request: inferenceV1.GenerateRequest,
    _metadata?: Metadata,
  ): Observable<inferenceV1.GenerateResponse> {
    this.received.push(request);
    if ((request.messages.length === 0) === (request.prompt === '')) {
      throw new RpcException({
        code: status.INVALID_ARGUMENT,
        message: 'exactly one of messages or prompt must be set',
      });
    }
    const deltas: inferenceV1.GenerateResponse[] = REPLY_TOKENS.map((text, i) => ({
      text,
      tokenIds: [100 + i],
      toolCallDeltas: [],
      finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
    }));
    const last: inferenceV1.GenerateResponse = {
      text: '',
      tokenIds: [],
      toolCallDeltas: [],
      finishReason: commonV1.FinishReason.FINISH_REASON_STOP,
      usage: {
        promptTokens: 12,
        completionTokens: REPLY_TOKENS.length,
        totalTokens: 16,
        cachedPromptTokens: 8,
      },
      timings: { timeToFirstToken: { seconds: 0, nanos: 25_000_000 } },
    };
    return from([...deltas, last]);
  }

  tokenize(request: inferenceV1.TokenizeRequest): inferenceV1.TokenizeResponse {
    const tokens = request.text.split(/\s+/).filter(Boolean);
    return { tokenIds: request.returnTokenIds ? tokens.map((_, i) => i) : [], tokenCount: tokens.length };
  }

  embed(request: inferenceV1.EmbedRequest): inferenceV1.EmbedResponse {
    return { embeddings: request.inputs.map((input) => ({ values: [input.length, 0], tokenCount: 1 })) };
  }

  async stats(): Promise<inferenceV1.StatsResponse> {
    return {
      workerId: 'worker-a',
      modelId: MODEL_ID,
      modelSha256: 'ab'.repeat(32),
      contextLength: 32_768,
      backend: inferenceV1.Backend.BACKEND_CPU,
      gpuName: '',
      slotsTotal: 4,
      slotsFree: 3,
      queueDepth: 0,
      kvCellsUsed: 1_024,
      kvCellsTotal: 131_072,
      batchOccupancy: 0.25,
      prefixCacheHitRatio: 0.5,
      tokensPerSecond: 41.5,
      draining: false,
      hasChatTemplate: true,
      cachedPrefixes: [{ scope: '0123456789abcdef', blockHashes: ['fedcba9876543210'], blockCount: 3 }],
    };
  }
}

@Module({ controllers: [ScriptedInferenceWorkerController] })
class ScriptedWorkerModule {}

describe(inferenceV1.INFERENCE_WORKER_SERVICE_NAME, () => {
  let app: INestMicroservice;
  let address: string;
  let sut: Client;

  beforeAll(async () => {
    ({ app, address } = await startGrpcMicroservice(ScriptedWorkerModule, [PROTO_PACKAGES.inferenceV1]));
    const WorkerClient = rawClientConstructor(
      PROTO_PACKAGES.inferenceV1,
      inferenceV1.INFERENCE_WORKER_SERVICE_NAME,
    );
    sut = new WorkerClient(address, credentials.createInsecure());
  });

  afterAll(async () => {
    sut?.close();
    await app?.close();
  });

  const validRequest = (): inferenceV1.GenerateRequest => ({
    requestId: 'req-1',
    modelId: MODEL_ID,
    messages: [
      {
        role: commonV1.Role.ROLE_USER,
        content: [{ text: 'Say hello' }],
        name: '',
        toolCalls: [],
        toolCallId: '',
      },
    ],
    prompt: '',
    sampling: { temperature: 0, stop: ['\n\n'], maxTokens: 32 },
    tools: [],
    priority: commonV1.PriorityTier.PRIORITY_TIER_HIGH,
    cacheSalt: 'tenant-1',
    chatTemplate: '',
    deadline: new Date(Date.now() + 60_000),
  });

  it('streams Generate deltas in order and ends with finish reason, usage and timings', async () => {
    const request = validRequest();

    const messages = await serverStream<inferenceV1.GenerateRequest, inferenceV1.GenerateResponse>(
      sut,
      'generate',
      request,
    );

    expect(messages.map((m) => m.text)).toEqual([...REPLY_TOKENS, '']);
    expect(messages.flatMap((m) => m.tokenIds)).toEqual([100, 101, 102, 103]);
    expect(
      messages.slice(0, -1).every((m) => m.finishReason === commonV1.FinishReason.FINISH_REASON_UNSPECIFIED),
    ).toBe(true);
    const last = messages[messages.length - 1];
    expect(last.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
    expect(last.usage).toEqual({
      promptTokens: 12,
      completionTokens: 4,
      totalTokens: 16,
      cachedPromptTokens: 8,
    });
    expect(last.timings?.timeToFirstToken).toEqual({ seconds: 0, nanos: 25_000_000 });
  });

  it('delivers request fields with their generated types: Date deadlines, optional scalars, numeric enums', async () => {
    const controller = app.get(ScriptedInferenceWorkerController);
    const request = validRequest();

    await serverStream(sut, 'generate', request);

    const received = controller.received[controller.received.length - 1];
    expect(received.deadline).toBeInstanceOf(Date);
    expect(received.deadline?.getTime()).toBe(request.deadline?.getTime());
    expect(received.sampling?.temperature).toBe(0); // explicitly 0 stays distinguishable from unset
    expect(received.sampling?.topP).toBeUndefined();
    expect(received.priority).toBe(commonV1.PriorityTier.PRIORITY_TIER_HIGH);
    expect(received.messages[0].content[0].text).toBe('Say hello');
    expect(received.responseFormat).toBeNull(); // unset messages decode as null, see GRPC_LOADER_OPTIONS
  });

  it('answers an invalid Generate request with INVALID_ARGUMENT and the message', async () => {
    const request = { ...validRequest(), messages: [], prompt: '' };

    await expect(serverStream(sut, 'generate', request)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'exactly one of messages or prompt must be set',
    });
  });

  it('answers unary Stats', async () => {
    const stats = await unary<inferenceV1.StatsRequest, inferenceV1.StatsResponse>(sut, 'stats', {});

    expect(stats).toMatchObject({
      modelId: MODEL_ID,
      backend: inferenceV1.Backend.BACKEND_CPU,
      slotsTotal: 4,
      slotsFree: 3,
      kvCellsTotal: 131_072,
      batchOccupancy: 0.25,
      draining: false,
      cachedPrefixes: [{ scope: '0123456789abcdef', blockHashes: ['fedcba9876543210'], blockCount: 3 }],
    });
  });

  it('serves the generated client interface through a NestJS ClientGrpc', async () => {
    const proxy = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.inferenceV1], address),
    }) as unknown as ClientGrpc & { close(): void };
    try {
      const client = proxy.getService<inferenceV1.InferenceWorkerServiceClient>(
        inferenceV1.INFERENCE_WORKER_SERVICE_NAME,
      );

      const tokenized = await firstValueFrom(
        client.tokenize({
          modelId: MODEL_ID,
          text: 'one two three',
          messages: [],
          tools: [],
          returnTokenIds: true,
          chatTemplate: '',
        }),
      );
      const embedded = firstValueFrom(client.embed({ requestId: 'r', modelId: MODEL_ID, inputs: ['abc'] }));

      expect(tokenized).toEqual({ tokenIds: [0, 1, 2], tokenCount: 3 });
      await expect(embedded).resolves.toMatchObject({ embeddings: [{ values: [3, 0], tokenCount: 1 }] });
    } finally {
      proxy.close();
    }
  });
});
