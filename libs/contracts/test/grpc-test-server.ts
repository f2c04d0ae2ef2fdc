// Helpers for the contract specs: a free loopback port, NestJS gRPC microservices built from the
// shared proto paths, and promise wrappers over raw @grpc/grpc-js calls.
import * as net from 'node:net';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';

import { GRPC_LOADER_OPTIONS, grpcTransportOptions, protoFilesOf, ProtoPackage } from '../src/proto-paths';

/** A port free on 127.0.0.1 right now (Nest's gRPC server does not report the port it bound for :0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts `module` as a NestJS gRPC microservice on a free loopback port; returns it and its address. */
export async function startGrpcMicroservice(
  module: Type<unknown>,
  packages: readonly ProtoPackage[],
): Promise<{ app: INestMicroservice; address: string }> {
  const address = `127.0.0.1:${await freePort()}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, {
    transport: Transport.GRPC,
    options: grpcTransportOptions(packages, address),
    logger: false,
  });
  await app.listen();
  return { app, address };
}

/** A raw @grpc/grpc-js client constructor for `<package>.<Service>`, loaded from the same protos. */
export function rawClientConstructor(pkg: ProtoPackage, service: string): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(protoFilesOf([pkg]), GRPC_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition);
  const found = [...pkg.split('.'), service].reduce<unknown>(
    (node, key) => (node as Record<string, unknown> | undefined)?.[key],
    loaded,
  );
  if (typeof found !== 'function') throw new Error(`service ${pkg}.${service} not found in its protos`);
  return found as grpc.ServiceClientConstructor;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;
type ServerStreamMethod<Req, Res> = (
  request: Req,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<Res>;

function method<F>(client: grpc.Client, name: string): F {
  const fn = (client as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`client has no method ${name}`);
  return fn.bind(client) as F;
}

/** Calls a unary method of a raw client. */
export function unary<Req, Res>(
  client: grpc.Client,
  name: string,
  request: Req,
  deadlineMs = 5_000,
): Promise<Res> {
  const call = method<UnaryMethod<Req, Res>>(client, name);
  return new Promise((resolve, reject) => {
    call(request, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response as Res),
    );
  });
}

/** Calls a server-streaming method of a raw client and collects every message until the stream ends. */
export function serverStream<Req, Res>(
  client: grpc.Client,
  name: string,
  request: Req,
  deadlineMs = 5_000,
): Promise<Res[]> {
  const stream = method<ServerStreamMethod<Req, Res>>(client, name)(request, {
    deadline: Date.now() + deadlineMs,
  });
  return new Promise((resolve, reject) => {
    const received: Res[] = [];
    stream.on('data', (message: Res) => received.push(message));
    stream.on('error', reject);
    stream.on('end', () => resolve(received));
  });
}
