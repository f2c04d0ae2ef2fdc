// Owns the wire to the model gateway for turns: one server-streaming Generate per model call. The
// caller cancels the returned stream to stop generation (the gateway then cancels the worker, which
// frees its slot). Calls go through the typed @hearth/grpc client; ListModels reads only and is
// retried when the gateway is briefly unreachable. The channel closes when the application shuts down.
import { gatewayV1, type commonV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

import type * as grpc from '@grpc/grpc-js';
import type { OnApplicationShutdown } from '@nestjs/common';

// Model ids per tenant change only with the registry file: a short cache keeps ListModels off the
// turn's path while a registry edit still shows within seconds.
const MODEL_CACHE_TTL_MS = 10_000;

export class ModelGatewayAdapter implements OnApplicationShutdown {
  private readonly client: GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;
  private readonly models = new Map<string, { expires: number; models: gatewayV1.ModelInfo[] }>();

  constructor(readonly address: string) {
    this.client = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address,
      upstream: 'model gateway',
      retry: { methods: ['listModels'] },
    });
  }

  get upstream(): string {
    return this.client.upstream;
  }

  generate(
    request: gatewayV1.GenerateRequest,
    deadline: number,
  ): grpc.ClientReadableStream<gatewayV1.GenerateResponse> {
    return this.client.generate(request, { deadline });
  }

  /**
   * The model a name (id or alias) resolves to for the caller, as the gateway lists it (canonical id,
   * context length, completion limits); undefined when the gateway does not list it (its Generate then
   * reports NOT_FOUND as the turn's error).
   */
  async resolveModel(
    caller: commonV1.Caller,
    name: string,
    deadline: number,
  ): Promise<gatewayV1.ModelInfo | undefined> {
    const key = caller.tenantId;
    let entry = this.models.get(key);
    if (!entry || entry.expires < Date.now()) {
      const listed = await this.client.listModels({ caller }, { deadline });
      entry = { expires: Date.now() + MODEL_CACHE_TTL_MS, models: listed.models };
      this.models.set(key, entry);
    }
    return entry.models.find((model) => model.id === name || model.aliases.includes(name));
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}
