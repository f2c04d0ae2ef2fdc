// Owns the peer the orchestration-path benches measure against: the worker's Generate called
// directly with one user message, timed to its first text.
import { commonV1, type inferenceV1 } from '@hearth/contracts';
import type { GrpcClient } from '@hearth/grpc';

export type WorkerClient = GrpcClient<typeof inferenceV1.InferenceWorkerServiceDefinition>;

export interface DirectGeneration {
  readonly modelId: string;
  readonly prompt: string;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly cacheSalt: string;
}

/** TTFT of one direct worker Generate stream, read to its end (ms). */
export function workerTtft(worker: WorkerClient, i: number, generation: DirectGeneration): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let first: number | undefined;
    const call = worker.generate(
      {
        requestId: `bench-direct-${i}-${Math.random()}`,
        modelId: generation.modelId,
        messages: [
          {
            role: commonV1.Role.ROLE_USER,
            content: [{ text: generation.prompt }],
            name: '',
            toolCalls: [],
            toolCallId: '',
          },
        ],
        prompt: '',
        sampling: { temperature: generation.temperature, stop: [], maxTokens: generation.maxTokens },
        responseFormat: null,
        tools: [],
        toolChoice: null,
        priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
        cacheSalt: generation.cacheSalt,
        chatTemplate: '',
        deadline: null,
      },
      { timeoutMs: 60_000 },
    );
    call.on('data', (m: inferenceV1.GenerateResponse) => {
      if (first === undefined && m.text) first = performance.now() - started;
    });
    call.on('error', reject);
    call.on('end', () => (first === undefined ? reject(new Error('no token')) : resolve(first)));
  });
}
