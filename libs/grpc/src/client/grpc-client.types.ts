// The typed client's shape, derived entirely from ts-proto's generated service definitions
// (`contextV1.ContextServiceDefinition` ...): one method per rpc with the generated request and response
// types, so a wrong method name or request type does not compile. Unary rpcs return promises; streaming
// rpcs return grpc-js streams (callers pause, resume and cancel them).
import type * as grpc from '@grpc/grpc-js';

/** One rpc of a generated service definition (ts-proto `outputServices=generic-definitions`). */
export interface GrpcMethodDefinition {
  readonly name: string;
  readonly requestType: unknown;
  readonly requestStream: boolean;
  readonly responseType: unknown;
  readonly responseStream: boolean;
}

/** A generated service definition: `fullName` is `<proto package>.<Service>`. */
export interface GrpcServiceDefinition {
  readonly name: string;
  readonly fullName: string;
  readonly methods: { readonly [method: string]: GrpcMethodDefinition };
}

type Decoded<T> = T extends { decode(...args: never[]): infer M } ? M : never;
export type RequestOf<M> = M extends { readonly requestType: infer T } ? Decoded<T> : never;
export type ResponseOf<M> = M extends { readonly responseType: infer T } ? Decoded<T> : never;

type MethodsOf<D extends GrpcServiceDefinition> = D['methods'];

/** Names of the unary rpcs of a service (the only ones a retry policy may name). */
export type UnaryMethodName<D extends GrpcServiceDefinition> = {
  [K in keyof MethodsOf<D>]: MethodsOf<D>[K] extends {
    readonly requestStream: false;
    readonly responseStream: false;
  }
    ? K
    : never;
}[keyof MethodsOf<D>];

/** Per call: deadline, cancellation and the metadata a call carries besides the trace context. */
export interface GrpcCallOptions {
  /** Absolute deadline (epoch ms or Date). With `timeoutMs` too, the earlier one applies. */
  readonly deadline?: number | Date;
  /** Relative deadline in ms; without either, the client's `defaultTimeoutMs` applies. */
  readonly timeoutMs?: number;
  /** Cancels the call (CANCELLED) when it aborts. */
  readonly signal?: AbortSignal;
  /** `x-request-id`; defaults to the request id of the request being served (see request-scope). */
  readonly requestId?: string;
  /** `idempotency-key`, for rpcs whose server deduplicates on it. */
  readonly idempotencyKey?: string;
  /** Further metadata to send (copied; the trace context is added to it). */
  readonly metadata?: grpc.Metadata;
}

export type UnaryCall<Req, Res> = (request: Req, options?: GrpcCallOptions) => Promise<Res>;
export type ServerStreamCall<Req, Res> = (
  request: Req,
  options?: GrpcCallOptions,
) => grpc.ClientReadableStream<Res>;
/** A client-streaming call: write requests to `call`, then end it; `response` settles with the answer. */
export type ClientStreamCall<Req, Res> = (options?: GrpcCallOptions) => {
  readonly call: grpc.ClientWritableStream<Req>;
  readonly response: Promise<Res>;
};
export type BidiStreamCall<Req, Res> = (options?: GrpcCallOptions) => grpc.ClientDuplexStream<Req, Res>;

export type GrpcCallOf<M> = M extends { readonly requestStream: false; readonly responseStream: false }
  ? UnaryCall<RequestOf<M>, ResponseOf<M>>
  : M extends { readonly requestStream: false; readonly responseStream: true }
    ? ServerStreamCall<RequestOf<M>, ResponseOf<M>>
    : M extends { readonly requestStream: true; readonly responseStream: false }
      ? ClientStreamCall<RequestOf<M>, ResponseOf<M>>
      : BidiStreamCall<RequestOf<M>, ResponseOf<M>>;

/** Calls of every rpc of the service. */
export type GrpcMethods<D extends GrpcServiceDefinition> = {
  readonly [K in keyof MethodsOf<D>]: GrpcCallOf<MethodsOf<D>[K]>;
};

/** A typed client of one service at one address. */
export type GrpcClient<D extends GrpcServiceDefinition> = GrpcMethods<D> & {
  /** host:port it calls. */
  readonly address: string;
  /** Name used for the upstream of its errors (GrpcError.upstream) and in messages. */
  readonly upstream: string;
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
};
