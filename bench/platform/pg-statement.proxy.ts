// A TCP proxy in front of PostgreSQL that counts the statements its clients send: every simple-query
// message ('Q': BEGIN, COMMIT and whatever else goes unprepared) and every Execute of the extended
// protocol ('E': one per prepared statement run, which is how Prisma's pg adapter sends queries).
// Bytes pass through unchanged; only the client-to-server stream is parsed. A connection that
// switches to TLS is passed through uncounted.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

export interface StatementCounts {
  /** Simple-protocol queries. */
  query: number;
  /** Extended-protocol executions. */
  execute: number;
}

export class PgStatementProxy {
  readonly counts: StatementCounts = { query: 0, execute: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port and forwards every connection to `target` (host:port). */
  static async start(target: { host: string; port: number }): Promise<PgStatementProxy> {
    const ready: { proxy?: PgStatementProxy } = {};
    const server = createServer((client) => ready.proxy?.forward(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ready.proxy = new PgStatementProxy(server, (server.address() as AddressInfo).port);
    return ready.proxy;
  }

  get total(): number {
    return this.counts.query + this.counts.execute;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target.port, target.host);
    this.sockets.add(client).add(upstream);
    const parser = new ClientStreamParser(this.counts);
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      parser.serverAnswered(chunk);
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }
}

/** Frames the client's messages: untyped start-up messages first, then type byte + int32 length. */
class ClientStreamParser {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private passthrough = false;
  private awaitingEncryptionAnswer = false;

  constructor(private readonly counts: StatementCounts) {}

  /** After an SSLRequest the server answers one byte: 'S' (TLS follows: stop parsing) or 'N'. */
  serverAnswered(chunk: Buffer): void {
    if (!this.awaitingEncryptionAnswer || chunk.length === 0) return;
    this.awaitingEncryptionAnswer = false;
    if (chunk[0] !== 'N'.charCodeAt(0)) this.passthrough = true;
  }

  push(chunk: Buffer): void {
    if (this.passthrough) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        this.buffer = this.buffer.subarray(length);
        // SSLRequest / GSSENCRequest: the start-up message follows unless the server accepts.
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.awaitingEncryptionAnswer = true;
          continue;
        }
        this.started = true;
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0] as number);
      const length = this.buffer.readInt32BE(1);
      if (length < 4) {
        this.passthrough = true;
        return;
      }
      if (this.buffer.length < length + 1) return;
      if (type === 'Q') this.counts.query++;
      else if (type === 'E') this.counts.execute++;
      this.buffer = this.buffer.subarray(length + 1);
    }
  }
}
