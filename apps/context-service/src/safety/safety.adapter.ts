// Owns the wire to the safety service: CheckInput over a raw @grpc/grpc-js client built from the shared
// protos, with a deadline and the trace context. The context service only asks it about retrieved
// document text (untrusted items) before that text may enter a prompt.
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf, safetyV1 } from '@hearth/contracts';
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

interface RawSafetyClient extends grpc.Client {
  checkInput(
    request: safetyV1.CheckInputRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: safetyV1.CheckInputResponse) => void,
  ): grpc.ClientUnaryCall;
}

let clientConstructor: grpc.ServiceClientConstructor | undefined;

function safetyClientConstructor(): grpc.ServiceClientConstructor {
  if (!clientConstructor) {
    const definition = protoLoader.loadSync(protoFilesOf([PROTO_PACKAGES.safetyV1]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      hearth: { safety: { v1: Record<string, grpc.ServiceClientConstructor> } };
    };
    clientConstructor = pkg.hearth.safety.v1[safetyV1.SAFETY_SERVICE_NAME];
  }
  return clientConstructor;
}

export class SafetyAdapter {
  private readonly client: RawSafetyClient;

  constructor(
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    const Client = safetyClientConstructor();
    this.client = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    }) as unknown as RawSafetyClient;
  }

  checkInput(request: safetyV1.CheckInputRequest): Promise<safetyV1.CheckInputResponse> {
    return new Promise((resolve, reject) => {
      this.client.checkInput(
        request,
        injectIntoGrpcMetadata(new grpc.Metadata()),
        { deadline: Date.now() + this.timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response as safetyV1.CheckInputResponse)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
