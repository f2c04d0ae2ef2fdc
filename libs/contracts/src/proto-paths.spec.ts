import { readdirSync } from 'node:fs';
import * as path from 'node:path';

import * as protoLoader from '@grpc/proto-loader';

import {
  GRPC_LOADER_OPTIONS,
  grpcTransportOptions,
  MalformedMessage,
  PROTO_FILES,
  PROTO_PACKAGES,
  PROTO_ROOT,
  protoFilesOf,
} from './proto-paths';

function protoFilesOnDisk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return protoFilesOnDisk(full);
    return entry.name.endsWith('.proto') ? [path.relative(PROTO_ROOT, full)] : [];
  });
}

describe('proto paths', () => {
  it('maps every .proto file under proto/ to exactly one package', () => {
    const mapped = Object.values(PROTO_FILES).flat().sort();

    expect(mapped).toEqual(protoFilesOnDisk(PROTO_ROOT).sort());
  });

  it.each(Object.entries(PROTO_FILES))('declares package %s in its files', (pkg, files) => {
    const definition = protoLoader.loadSync(
      files.map((file) => path.join(PROTO_ROOT, file)),
      GRPC_LOADER_OPTIONS,
    );

    const ownTypes = Object.keys(definition).filter((name) => name.startsWith(`${pkg}.`));
    expect(ownTypes.length).toBeGreaterThan(0);
  });

  it('lists the same packages as PROTO_PACKAGES', () => {
    expect(Object.keys(PROTO_FILES).sort()).toEqual(Object.values(PROTO_PACKAGES).sort());
  });

  it('builds NestJS transport options with absolute proto paths and the shared loader options', () => {
    const sut = grpcTransportOptions(
      [PROTO_PACKAGES.inferenceV1, PROTO_PACKAGES.healthV1],
      '127.0.0.1:50051',
    );

    expect(sut).toMatchObject({
      url: '127.0.0.1:50051',
      package: ['hearth.inference.v1', 'grpc.health.v1'],
      protoPath: [
        path.join(PROTO_ROOT, 'hearth/inference/v1/inference_worker.proto'),
        path.join(PROTO_ROOT, 'grpc/health/v1/health.proto'),
      ],
      loader: { longs: Number, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] },
    });
  });

  it('makes the served decoders hand a request that does not decode over as a MalformedMessage', () => {
    const sut = grpcTransportOptions([PROTO_PACKAGES.inferenceV1], '127.0.0.1:50051');
    const definition = protoLoader.loadSync(sut.protoPath as string[], sut.loader);
    sut.onLoadPackageDefinition?.(definition, undefined);
    const tokenize = (
      definition['hearth.inference.v1.InferenceWorkerService'] as protoLoader.ServiceDefinition
    )['Tokenize'] as protoLoader.MethodDefinition<object, object>;

    // A tag with wire type 7, which protobuf does not have.
    const malformed = tokenize.requestDeserialize(Buffer.from([0x07, 0xe8]));
    expect(malformed).toBeInstanceOf(MalformedMessage);
    expect(malformed).toMatchObject({ type: 'hearth.inference.v1.TokenizeRequest' });
    expect(tokenize.requestDeserialize(Buffer.from([0x12, 0x01, 0x61]))).toMatchObject({ text: 'a' });
  });

  it('returns no files for no packages', () => {
    expect(protoFilesOf([])).toEqual([]);
  });
});
