// Owns the wire to the context service: assembly of what the model sees and hot-window appends.
import { contextV1, PROTO_PACKAGES } from '@hearth/contracts';

import type * as grpc from '@grpc/grpc-js';

import { callUnary, createRawClient, type UnaryMethod } from './grpc-client.factory';

interface RawContextClient extends grpc.Client {
  assembleContext: UnaryMethod<contextV1.AssembleContextRequest, contextV1.AssembleContextResponse>;
  appendMessages: UnaryMethod<contextV1.AppendMessagesRequest, contextV1.AppendMessagesResponse>;
}

export class ContextAdapter {
  private readonly client: RawContextClient;

  constructor(readonly address: string) {
    this.client = createRawClient(PROTO_PACKAGES.contextV1, contextV1.CONTEXT_SERVICE_NAME, address);
  }

  assemble(
    request: contextV1.AssembleContextRequest,
    deadline: number,
  ): Promise<contextV1.AssembleContextResponse> {
    return callUnary(this.client, this.client.assembleContext, request, deadline);
  }

  append(
    request: contextV1.AppendMessagesRequest,
    deadline: number,
  ): Promise<contextV1.AppendMessagesResponse> {
    return callUnary(this.client, this.client.appendMessages, request, deadline);
  }

  close(): void {
    this.client.close();
  }
}
