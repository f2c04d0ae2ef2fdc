// Owns building typed clients of the platform's own services: the rpcs of a generated service
// definition, (de)serialized by @grpc/proto-loader from the shared protos with the loader options the
// generated types match (so responses decode exactly as NestJS's server side and every earlier client
// decoded them), over one channel with a short reconnect backoff. Every call gets a deadline, a
// client span whose trace context it carries, the request id and cancellation; unary errors reject as
// GrpcErrors; every call is counted and timed (RED metrics by upstream, method and status code).
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf, type ProtoPackage } from '@hearth/contracts';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { fromServiceError } from '../errors/grpc-status.codec';
import { grpcClientMetricsInterceptor } from '../metrics/grpc-metrics.hooks';
import { sharedGrpcMetrics, type GrpcMetrics } from '../metrics/grpc.metrics';
import { grpcClientTracingInterceptor } from '../tracing/grpc-spans';
import { outgoingMetadata, resolveDeadline, whenAborted } from './call-options';
import type {
  GrpcCallOptions,
  GrpcClient,
  GrpcMethods,
  GrpcServiceDefinition,
  UnaryMethodName,
} from './grpc-client.types';
import { requestIdInterceptor } from './request-id.interceptor';
import { unaryRetryPolicy, type GrpcRetryPolicy } from './retry.policy';

/**
 * grpc-js reconnects after 1 s growing to 120 s by default, so a restarted sibling would be found again
 * only after minutes; keepalives notice a dead peer behind a silent network.
 */
export const RESILIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** Deadline of a call that names none (no unbounded call exists). */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface GrpcClientOptions<D extends GrpcServiceDefinition> {
  /** host:port of the service. */
  readonly address: string;
  /** The upstream's name in errors (GrpcError.upstream) and messages; the service name by default. */
  readonly upstream?: string;
  /** Deadline of calls that set none in their options. */
  readonly defaultTimeoutMs?: number;
  /** Retries of idempotent unary rpcs on UNAVAILABLE (none by default). */
  readonly retry?: GrpcRetryPolicy<UnaryMethodName<D>>;
  /**
   * Client interceptors (grpc-js), outermost first, run after the library's own (request id): where
   * client spans and RED metrics hang.
   */
  readonly interceptors?: readonly grpc.Interceptor[];
  /** Channel options over RESILIENT_CHANNEL_OPTIONS. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Where the per-rpc RED metrics go (labelled with `upstream`): the process's shared registry by default. */
  readonly metrics?: GrpcMetrics;
  /** Insecure (in-cluster) by default. */
  readonly credentials?: grpc.ChannelCredentials;
}

interface WireMethod {
  readonly path: string;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

const packageDefinitions = new Map<ProtoPackage, protoLoader.PackageDefinition>();

function packageDefinition(pkg: ProtoPackage): protoLoader.PackageDefinition {
  let definition = packageDefinitions.get(pkg);
  if (!definition) {
    definition = protoLoader.loadSync(protoFilesOf([pkg]), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    packageDefinitions.set(pkg, definition);
  }
  return definition;
}

function protoPackageOf(fullName: string): ProtoPackage {
  const pkg = fullName.slice(0, fullName.lastIndexOf('.'));
  const known = Object.values(PROTO_PACKAGES) as string[];
  if (!known.includes(pkg)) throw new Error(`service ${fullName} is not in a known proto package`);
  return pkg as ProtoPackage;
}

/** The wire side of each rpc, checked against the generated definition (a drift fails at construction). */
function wireMethods(definition: GrpcServiceDefinition): Map<string, WireMethod> {
  const service = packageDefinition(protoPackageOf(definition.fullName))[definition.fullName] as
    grpc.ServiceDefinition | undefined;
  if (!service || 'format' in service) throw new Error(`service ${definition.fullName} is not in the protos`);
  const methods = new Map<string, WireMethod>();
  for (const [key, method] of Object.entries(definition.methods)) {
    const wire = service[method.name];
    if (
      !wire ||
      wire.requestStream !== method.requestStream ||
      wire.responseStream !== method.responseStream
    ) {
      throw new Error(
        `${definition.fullName}.${method.name} differs from the protos; regenerate the contracts`,
      );
    }
    methods.set(key, {
      path: wire.path,
      serialize: wire.requestSerialize,
      deserialize: wire.responseDeserialize,
    });
  }
  return methods;
}

/** A typed client of the service `definition` describes (e.g. `contextV1.ContextServiceDefinition`). */
export function createGrpcClient<D extends GrpcServiceDefinition>(
  definition: D,
  options: GrpcClientOptions<D>,
): GrpcClient<D> {
  const upstream = options.upstream ?? definition.name;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const channel = new grpc.Client(options.address, options.credentials ?? grpc.credentials.createInsecure(), {
    ...RESILIENT_CHANNEL_OPTIONS,
    ...options.channelOptions,
    interceptors: [
      grpcClientMetricsInterceptor(options.metrics ?? sharedGrpcMetrics(), upstream),
      grpcClientTracingInterceptor(options.address),
      requestIdInterceptor,
      ...(options.interceptors ?? []),
    ],
  });
  const retried = new Set<unknown>(options.retry?.methods ?? []);
  const retry = options.retry ? unaryRetryPolicy(options.retry) : undefined;

  const calls: Record<string, unknown> = {};
  for (const [key, wire] of wireMethods(definition)) {
    const method = definition.methods[key];
    const { path, serialize, deserialize } = wire;
    if (!method.requestStream && !method.responseStream) {
      const once = (request: unknown, callOptions: GrpcCallOptions, deadline: number) =>
        new Promise<unknown>((resolve, reject) => {
          if (callOptions.signal?.aborted) {
            reject(fromServiceError(cancelledError(), upstream));
            return;
          }
          let release = () => undefined as void;
          const call = channel.makeUnaryRequest(
            path,
            serialize,
            deserialize,
            request,
            outgoingMetadata(callOptions),
            { deadline },
            (error, response) => {
              release();
              if (error) reject(fromServiceError(error, upstream));
              else resolve(response);
            },
          );
          release = whenAborted(callOptions.signal, () => call.cancel());
        });
      calls[key] = (request: unknown, callOptions: GrpcCallOptions = {}) => {
        const deadline = resolveDeadline(callOptions, defaultTimeoutMs);
        if (!retry || !retried.has(key)) return once(request, callOptions, deadline);
        return retry(deadline, () => once(request, callOptions, deadline));
      };
    } else if (!method.requestStream) {
      calls[key] = (request: unknown, callOptions: GrpcCallOptions = {}) =>
        cancelOnAbort(
          channel.makeServerStreamRequest(
            path,
            serialize,
            deserialize,
            request,
            outgoingMetadata(callOptions),
            { deadline: resolveDeadline(callOptions, defaultTimeoutMs) },
          ),
          callOptions.signal,
        );
    } else if (!method.responseStream) {
      calls[key] = (callOptions: GrpcCallOptions = {}) => {
        let settle: (error: grpc.ServiceError | null, response?: unknown) => void = () => undefined;
        const response = new Promise<unknown>((resolve, reject) => {
          settle = (error, value) => (error ? reject(fromServiceError(error, upstream)) : resolve(value));
        });
        const call = channel.makeClientStreamRequest(
          path,
          serialize,
          deserialize,
          outgoingMetadata(callOptions),
          { deadline: resolveDeadline(callOptions, defaultTimeoutMs) },
          (error, value) => settle(error, value),
        );
        return { call: cancelOnAbort(call, callOptions.signal), response };
      };
    } else {
      calls[key] = (callOptions: GrpcCallOptions = {}) =>
        cancelOnAbort(
          channel.makeBidiStreamRequest(path, serialize, deserialize, outgoingMetadata(callOptions), {
            deadline: resolveDeadline(callOptions, defaultTimeoutMs),
          }),
          callOptions.signal,
        );
    }
  }
  return Object.assign(calls as GrpcMethods<D>, {
    address: options.address,
    upstream,
    close: () => channel.close(),
  });
}

/** A streaming call, cancelled when `signal` aborts; the abort listener goes when the call ends. */
function cancelOnAbort<C extends grpc.Call>(call: C, signal: AbortSignal | undefined): C {
  call.once(
    'status',
    whenAborted(signal, () => call.cancel()),
  );
  return call;
}

/** What grpc-js reports for a call cancelled on the client, for a signal that aborted before the call. */
function cancelledError(): grpc.ServiceError {
  return Object.assign(new Error(`${grpc.status.CANCELLED} CANCELLED: Cancelled on client`), {
    code: grpc.status.CANCELLED,
    details: 'Cancelled on client',
    metadata: new grpc.Metadata(),
  });
}
