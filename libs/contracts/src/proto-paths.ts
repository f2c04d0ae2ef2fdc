// Where the internal API's .proto files live and how to load them at runtime. NestJS's gRPC transport
// and plain @grpc/grpc-js clients decode with @grpc/proto-loader from these files; the loader options
// below make the decoded objects match the ts-proto types generated into ./gen (see proto/buf.gen.yaml).
import * as path from 'node:path';

import { workspacePath } from '@hearth/config';

import type { PackageDefinition } from '@grpc/proto-loader';
import type { GrpcOptions } from '@nestjs/microservices';

/** Root folder of the proto tree (import paths such as `hearth/common/v1/chat.proto` resolve against it). */
export const PROTO_ROOT = workspacePath('proto');

/** Proto package names, one per versioned package. */
export const PROTO_PACKAGES = {
  healthV1: 'grpc.health.v1',
  commonV1: 'hearth.common.v1',
  inferenceV1: 'hearth.inference.v1',
  gatewayV1: 'hearth.gateway.v1',
  orchestratorV1: 'hearth.orchestrator.v1',
  contextV1: 'hearth.context.v1',
  safetyV1: 'hearth.safety.v1',
  toolsV1: 'hearth.tools.v1',
} as const;

/** A proto package name of the internal API. */
export type ProtoPackage = (typeof PROTO_PACKAGES)[keyof typeof PROTO_PACKAGES];

/** The .proto files of each package, relative to PROTO_ROOT. */
export const PROTO_FILES: Readonly<Record<ProtoPackage, readonly string[]>> = {
  'grpc.health.v1': ['grpc/health/v1/health.proto'],
  'hearth.common.v1': [
    'hearth/common/v1/chat.proto',
    'hearth/common/v1/error.proto',
    'hearth/common/v1/generation.proto',
    'hearth/common/v1/identity.proto',
    'hearth/common/v1/provenance.proto',
    'hearth/common/v1/safety.proto',
    'hearth/common/v1/tools.proto',
  ],
  'hearth.inference.v1': ['hearth/inference/v1/inference_worker.proto'],
  'hearth.gateway.v1': ['hearth/gateway/v1/model_gateway.proto'],
  'hearth.orchestrator.v1': ['hearth/orchestrator/v1/orchestrator.proto'],
  'hearth.context.v1': ['hearth/context/v1/context_service.proto'],
  'hearth.safety.v1': ['hearth/safety/v1/safety_service.proto'],
  'hearth.tools.v1': ['hearth/tools/v1/tool_runner.proto'],
};

/**
 * @grpc/proto-loader options every server and client must use, so runtime objects have the generated
 * shapes: camelCase keys, int64 as JS numbers, numeric enums, scalars and repeated fields always
 * present, and oneof members as plain optional properties. Unset message fields decode as `null`, unset
 * oneof members and `optional` scalars as `undefined` (the generated types allow both): test presence
 * with `!= null` or optional chaining.
 */
export const GRPC_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
} satisfies NonNullable<GrpcOptions['options']['loader']>;

/** Absolute paths of the .proto files of the given packages. */
export function protoFilesOf(packages: readonly ProtoPackage[]): string[] {
  return packages.flatMap((pkg) => PROTO_FILES[pkg].map((file) => path.join(PROTO_ROOT, file)));
}

/**
 * What a server's handler receives in place of a request message that does not decode (random bytes,
 * a truncated varint, an unknown wire type). grpc-js itself would answer such a call INTERNAL before
 * any handler ran; with this in its place the gRPC edge answers INVALID_ARGUMENT (see @hearth/grpc's
 * server interceptor), as for any other bad request.
 */
export class MalformedMessage {
  constructor(
    /** Full name of the message type that failed to decode. */
    readonly type: string,
    /** The decoder's complaint. */
    readonly reason: string,
  ) {}
}

interface LoadedMethod {
  requestDeserialize: (bytes: Buffer) => unknown;
  requestType?: { type?: { name?: string } };
}

const tolerant = new WeakSet<LoadedMethod>();

/** Makes each rpc's request decoder return a MalformedMessage instead of throwing. */
function tolerateMalformedRequests(definition: PackageDefinition): void {
  for (const [name, entry] of Object.entries(definition)) {
    if ('format' in entry) continue;
    for (const method of Object.values(entry as unknown as Record<string, LoadedMethod>)) {
      if (tolerant.has(method)) continue;
      tolerant.add(method);
      const decode = method.requestDeserialize;
      const type = `${name.slice(0, name.lastIndexOf('.'))}.${method.requestType?.type?.name ?? 'request'}`;
      method.requestDeserialize = (bytes) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new MalformedMessage(type, error instanceof Error ? error.message : String(error));
        }
      };
    }
  }
}

/**
 * Options for `Transport.GRPC` (NestJS server) or `ClientsModule` (NestJS client) serving or calling
 * the given packages at `url` (host:port). Extra transport options (credentials, keepalive, message
 * sizes) can be spread over the result.
 */
export function grpcTransportOptions(packages: readonly ProtoPackage[], url: string): GrpcOptions['options'] {
  return {
    url,
    package: [...packages],
    protoPath: protoFilesOf(packages),
    loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
    onLoadPackageDefinition: (definition: PackageDefinition) => tolerateMalformedRequests(definition),
  };
}
