// Owns reading every service and rpc of the internal API from the .proto files themselves (through
// @grpc/proto-loader, with the options every server uses), and resolving the message and enum types
// their requests are made of, so the fuzzer covers an rpc the day it is added to a contract.
import { GRPC_LOADER_OPTIONS, PROTO_PACKAGES, protoFilesOf, type ProtoPackage } from '@hearth/contracts';

import * as protoLoader from '@grpc/proto-loader';

export interface FieldDescriptor {
  name: string;
  number: number;
  label: 'LABEL_OPTIONAL' | 'LABEL_REQUIRED' | 'LABEL_REPEATED';
  type: string;
  typeName: string;
}

export interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
}

export interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}

export type ResolvedType =
  | { kind: 'message'; fullName: string; descriptor: MessageDescriptor }
  | { kind: 'enum'; fullName: string; descriptor: EnumDescriptor };

export interface CatalogRpc {
  /** Full service name, e.g. hearth.gateway.v1.ModelGatewayService. */
  service: string;
  /** Its proto package, e.g. hearth.gateway.v1. */
  pkg: ProtoPackage;
  /** The rpc's name as in the .proto file. */
  method: string;
  /** The wire path, /<service>/<method>. */
  path: string;
  /** Full name of the request message. */
  requestType: string;
  requestStream: boolean;
  responseStream: boolean;
}

interface TypeEntry {
  format: string;
  type: MessageDescriptor | EnumDescriptor;
}

interface MethodEntry {
  path: string;
  originalName?: string;
  requestStream: boolean;
  responseStream: boolean;
  requestType: { type: MessageDescriptor };
}

/** The packages with services of the platform's own (grpc.health.v1 is the standard health check). */
const FUZZED_PACKAGES = Object.values(PROTO_PACKAGES).filter((pkg) => pkg.startsWith('hearth.'));

export class RpcCatalog {
  readonly rpcs: readonly CatalogRpc[];
  private readonly types = new Map<string, TypeEntry>();

  constructor() {
    const definition = protoLoader.loadSync(protoFilesOf(FUZZED_PACKAGES), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    }) as unknown as Record<string, TypeEntry | Record<string, MethodEntry>>;
    for (const [name, entry] of Object.entries(definition)) {
      if (typeof entry.format === 'string') this.types.set(name, entry as TypeEntry);
    }
    const rpcs: CatalogRpc[] = [];
    for (const [name, entry] of Object.entries(definition)) {
      if (typeof entry.format === 'string') continue;
      const pkg = name.slice(0, name.lastIndexOf('.')) as ProtoPackage;
      for (const [method, rpc] of Object.entries(entry as Record<string, MethodEntry>)) {
        // proto-loader lists each method twice: as named in the .proto and in camelCase.
        if (rpc.originalName === method) continue;
        rpcs.push({
          service: name,
          pkg,
          method,
          path: rpc.path,
          requestType: this.resolve(rpc.requestType.type.name, name).fullName,
          requestStream: rpc.requestStream,
          responseStream: rpc.responseStream,
        });
      }
    }
    this.rpcs = rpcs;
  }

  /**
   * A type named in a field (relative, as protobuf writes it) seen from the scope of `from`: the
   * candidate sharing the longest prefix with `from`, as protobuf's scoping rules pick.
   */
  resolve(typeName: string, from: string): ResolvedType {
    const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
    const candidates = [...this.types.keys()].filter((key) => key === name || key.endsWith(`.${name}`));
    const shared = (key: string) => {
      let i = 0;
      while (i < key.length && key[i] === from[i]) i++;
      return i;
    };
    const fullName = candidates.sort((a, b) => shared(b) - shared(a) || a.length - b.length)[0];
    if (!fullName) throw new Error(`type ${typeName} (from ${from}) is not in the loaded protos`);
    const entry = this.types.get(fullName) as TypeEntry;
    return entry.format.includes('EnumDescriptorProto')
      ? { kind: 'enum', fullName, descriptor: entry.type as EnumDescriptor }
      : { kind: 'message', fullName, descriptor: entry.type as MessageDescriptor };
  }

  message(fullName: string): MessageDescriptor {
    const resolved = this.resolve(fullName, fullName);
    if (resolved.kind !== 'message') throw new Error(`${fullName} is not a message`);
    return resolved.descriptor;
  }
}
