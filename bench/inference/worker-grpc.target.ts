// Drives the inference worker's gRPC `Generate` directly, and reads batch occupancy from its `Stats`.
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf } from '@hearth/contracts';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import type { StreamRequest, StreamResult, StreamTarget } from './stream-target';

const ROLES = { system: 'ROLE_SYSTEM', user: 'ROLE_USER', assistant: 'ROLE_ASSISTANT' } as const;

interface GenerateResponse {
  text: string;
  usage?: { promptTokens: number; completionTokens: number; cachedPromptTokens: number } | null;
}
interface StatsResponse {
  batchOccupancy: number;
}
type WorkerClient = grpc.Client & {
  Generate(request: unknown, options: grpc.CallOptions): grpc.ClientReadableStream<GenerateResponse>;
  Stats(
    request: unknown,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: StatsResponse) => void,
  ): void;
};

export class WorkerGrpcTarget implements StreamTarget {
  private readonly client: WorkerClient;

  constructor(
    readonly name: string,
    address: string,
  ) {
    const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.inferenceV1]), GRPC_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      hearth: { inference: { v1: { InferenceWorkerService: grpc.ServiceClientConstructor } } };
    };
    const Client = loaded.hearth.inference.v1.InferenceWorkerService;
    this.client = new Client(address, grpc.credentials.createInsecure()) as unknown as WorkerClient;
  }

  stream(request: StreamRequest): Promise<StreamResult> {
    const started = performance.now();
    let first = 0;
    let last = 0;
    const interTokenMs: number[] = [];
    let text = '';
    let chunks = 0;
    let usage: GenerateResponse['usage'];
    const call = this.client.Generate(
      {
        requestId: `bench-${Math.random().toString(36).slice(2)}`,
        messages: request.messages.map((m) => ({ role: ROLES[m.role], content: [{ text: m.content }] })),
        sampling: { temperature: 0, maxTokens: request.maxTokens },
        cacheSalt: request.cacheKey ?? '',
      },
      { deadline: Date.now() + 600_000 },
    );
    return new Promise((resolve, reject) => {
      call.on('data', (message: GenerateResponse) => {
        if (message.text) {
          const now = performance.now();
          if (first === 0) first = now;
          else interTokenMs.push(now - last);
          last = now;
          text += message.text;
          chunks += 1;
        }
        if (message.usage) usage = message.usage;
      });
      call.on('error', reject);
      call.on('end', () =>
        resolve({
          ttftMs: first - started,
          interTokenMs,
          completionTokens: usage?.completionTokens ?? chunks,
          promptTokens: usage?.promptTokens ?? 0,
          cachedPromptTokens: usage?.cachedPromptTokens ?? 0,
          totalMs: performance.now() - started,
          text,
        }),
      );
    });
  }

  occupancy(): Promise<number | undefined> {
    return new Promise((resolve) =>
      this.client.Stats({}, { deadline: Date.now() + 5_000 }, (error, response) =>
        resolve(error ? undefined : response?.batchOccupancy),
      ),
    );
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
