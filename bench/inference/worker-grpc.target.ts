// Drives the inference worker's gRPC `Generate` directly (the typed client the gateway uses), and reads
// batch occupancy from its `Stats`.
import { commonV1, inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

import type { StreamRequest, StreamResult, StreamTarget } from './stream-target';

const ROLES = {
  system: commonV1.Role.ROLE_SYSTEM,
  user: commonV1.Role.ROLE_USER,
  assistant: commonV1.Role.ROLE_ASSISTANT,
} as const;

export class WorkerGrpcTarget implements StreamTarget {
  private readonly client: GrpcClient<typeof inferenceV1.InferenceWorkerServiceDefinition>;

  /** `chatTemplate`: a Jinja template for models whose GGUF carries none (the registry's `chatTemplate`). */
  constructor(
    readonly name: string,
    address: string,
    private readonly chatTemplate = '',
  ) {
    this.client = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, { address });
  }

  stream(request: StreamRequest): Promise<StreamResult> {
    const started = performance.now();
    let first = 0;
    let last = 0;
    const interTokenMs: number[] = [];
    let text = '';
    let chunks = 0;
    let usage: inferenceV1.GenerateResponse['usage'];
    const call = this.client.generate(
      {
        requestId: `bench-${Math.random().toString(36).slice(2)}`,
        modelId: '',
        messages: request.messages.map((m) => ({
          role: ROLES[m.role],
          content: [{ text: m.content }],
          name: '',
          toolCalls: [],
          toolCallId: '',
        })),
        prompt: '',
        sampling: { temperature: 0, maxTokens: request.maxTokens, stop: [] },
        tools: [],
        priority: commonV1.PriorityTier.PRIORITY_TIER_UNSPECIFIED,
        cacheSalt: request.cacheKey ?? '',
        chatTemplate: this.chatTemplate,
      },
      { timeoutMs: 600_000 },
    );
    return new Promise((resolve, reject) => {
      call.on('data', (message: inferenceV1.GenerateResponse) => {
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
    return this.client.stats({}, { timeoutMs: 5_000 }).then(
      (response) => response.batchOccupancy,
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
