// A TCP proxy in front of PostgreSQL that counts the statements its clients send: every simple-query
// message ('Q': BEGIN, COMMIT and whatever else goes unprepared) and every Execute of the extended
// protocol ('E': one per prepared statement run, which is how Prisma's pg adapter sends queries).
// Bytes pass through unchanged; only the client-to-server stream is parsed. A connection that
// switches to TLS is passed through uncounted. With `record` on, each counted statement is also kept
// with its text (the Query's, or the Parse behind the Execute's portal) and the connection's
// application_name (from its start-up message), so a bench can list who sent what.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

export interface StatementCounts {
  /** Simple-protocol queries. */
  query: number;
  /** Extended-protocol executions. */
  execute: number;
}

/** One counted statement: the sender's application_name ('' when it set none) and the SQL text. */
export interface RecordedStatement {
  application: string;
  sql: string;
}

export class PgStatementProxy {
  readonly counts: StatementCounts = { query: 0, execute: 0 };
  /** Every counted statement while `record` is on, in order. */
  readonly recorded: RecordedStatement[] = [];
  record = false;
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
    const parser = new ClientStreamParser(this.counts, (statement) => {
      if (this.record) this.recorded.push(statement);
    });
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
  private application = '';
  /** Prepared statements' and portals' texts by name ('' is the unnamed one). */
  private readonly statements = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(
    private readonly counts: StatementCounts,
    private readonly onStatement: (statement: RecordedStatement) => void,
  ) {}

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
        const message = this.buffer.subarray(8, length);
        this.buffer = this.buffer.subarray(length);
        // SSLRequest / GSSENCRequest: the start-up message follows unless the server accepts.
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.awaitingEncryptionAnswer = true;
          continue;
        }
        const parameters = cstrings(message, Number.MAX_SAFE_INTEGER);
        for (let i = 0; i + 1 < parameters.length; i += 2)
          if (parameters[i] === 'application_name') this.application = parameters[i + 1] as string;
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
      const body = this.buffer.subarray(5, length + 1);
      this.buffer = this.buffer.subarray(length + 1);
      if (type === 'Q') {
        this.counts.query++;
        this.onStatement({ application: this.application, sql: cstrings(body, 1)[0] ?? '' });
      } else if (type === 'P') {
        const [name, sql] = cstrings(body, 2);
        this.statements.set(name ?? '', sql ?? '');
      } else if (type === 'B') {
        const [portal, statement] = cstrings(body, 2);
        this.portals.set(portal ?? '', this.statements.get(statement ?? '') ?? '');
      } else if (type === 'E') {
        this.counts.execute++;
        this.onStatement({
          application: this.application,
          sql: this.portals.get(cstrings(body, 1)[0] ?? '') ?? '',
        });
      }
    }
  }
}

/** The first `count` NUL-terminated strings of a message body. */
function cstrings(body: Buffer, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (out.length < count && at < body.length) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}
