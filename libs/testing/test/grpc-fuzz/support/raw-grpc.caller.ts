// Owns calling any rpc with bytes as they are (a passthrough serializer) and reading its answer to the
// end: a unary answer, a server stream until its end or error, a client stream written then closed.
// Only the final status matters to the fuzzer; response bodies are counted, not decoded.
import * as grpc from '@grpc/grpc-js';

import type { CatalogRpc } from './rpc-catalog';

const passthrough = (bytes: Buffer) => bytes;
/** Trailer of the serialized google.rpc.Status the platform's servers send with every error. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

export interface RawAnswer {
  code: grpc.status;
  details: string;
  /** The server sent the status with its ErrorInfo (an answer, not the client's own timer or a reset). */
  reasoned: boolean;
  /** Messages the server sent before its status. */
  messages: number;
}

export class RawGrpcCaller {
  private readonly clients = new Map<string, grpc.Client>();

  call(address: string, rpc: CatalogRpc, messages: Buffer[], deadlineMs: number): Promise<RawAnswer> {
    const client = this.client(address);
    const options: grpc.CallOptions = { deadline: Date.now() + deadlineMs };
    return new Promise((resolve) => {
      let received = 0;
      const settle = (code: grpc.status, details: string, metadata?: grpc.Metadata) =>
        resolve({
          code,
          details,
          reasoned: (metadata?.get(STATUS_DETAILS_KEY).length ?? 0) > 0,
          messages: received,
        });
      if (!rpc.requestStream && !rpc.responseStream) {
        client.makeUnaryRequest(
          rpc.path,
          passthrough,
          passthrough,
          messages[0] as Buffer,
          new grpc.Metadata(),
          options,
          (error) => (error ? settle(error.code, error.details, error.metadata) : settle(grpc.status.OK, '')),
        );
        return;
      }
      const stream: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer> =
        rpc.requestStream
          ? client.makeBidiStreamRequest(rpc.path, passthrough, passthrough, new grpc.Metadata(), options)
          : client.makeServerStreamRequest(
              rpc.path,
              passthrough,
              passthrough,
              messages[0] as Buffer,
              new grpc.Metadata(),
              options,
            );
      stream.on('data', () => received++);
      // 'error' carries the status of a failed call; 'status' comes for every call, OK included.
      stream.on('error', () => undefined);
      stream.on('status', (status: grpc.StatusObject) =>
        settle(status.code, status.details, status.metadata),
      );
      if (rpc.requestStream) {
        const duplex = stream as grpc.ClientDuplexStream<Buffer, Buffer>;
        for (const message of messages) duplex.write(message);
        duplex.end();
      }
    });
  }

  /** grpc.health.v1 Check of the whole server: SERVING is the message `status: 1` (bytes 08 01). */
  async serving(address: string): Promise<boolean> {
    const client = this.client(address);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        passthrough,
        passthrough,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (error, response) => resolve(!error && !!response && response.equals(Buffer.from([0x08, 0x01]))),
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (!client) {
      client = new grpc.Client(address, grpc.credentials.createInsecure(), {
        'grpc.max_send_message_length': 16 * 1024 * 1024,
        'grpc.max_receive_message_length': 16 * 1024 * 1024,
      });
      this.clients.set(address, client);
    }
    return client;
  }
}
