// SseWriter over a real HTTP server and a real TCP client: a client that stops reading fills the kernel
// and socket buffers until `res.write()` says no, the upstream (an object-mode Readable, the same base
// class as grpc-js's RunTurn stream) is paused and stops being pulled; reading again resumes it and every
// event arrives in order, byte for byte. A client that leaves while the stream is paused is reported
// once, and nothing is written after that. No assertion depends on timing: the spec waits on events.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';

import { waitFor } from '@hearth/testing';

import { SseWriter, type SseWriterOptions } from './sse.writer';

interface TurnEvent {
  seq: number;
  text: string;
}

/**
 * The upstream: an object-mode Readable that counts how often it was pulled, like the gRPC RunTurn
 * stream (a Readable whose `_read` asks the HTTP/2 stream for one more message).
 */
class CountingEventStream extends Readable {
  pulled = 0;
  private ending = false;
  private waitingRead = false;

  /** `available` events can be pulled before the stream waits (like a turn that is still generating). */
  constructor(
    private readonly textBytes: number,
    private available: number,
  ) {
    super({ objectMode: true });
  }

  /** Produces `more` further events, then ends. */
  endAfter(more: number): void {
    this.available = this.pulled + more;
    this.ending = true;
    if (this.waitingRead) this._read();
  }

  override _read(): void {
    this.waitingRead = false;
    if (this.pulled < this.available) {
      const event: TurnEvent = { seq: this.pulled, text: 'x'.repeat(this.textBytes) };
      this.pulled += 1;
      this.push(event);
    } else if (this.ending) this.push(null);
    else this.waitingRead = true;
  }
}

/** One response handled like ChatService does: open, one event per upstream item, `[DONE]`, end. */
interface Exchange {
  sut: SseWriter;
  res: ServerResponse;
  source: CountingEventStream;
  /** Items the writer took from the upstream. */
  delivered: number;
  /** Most 'drain' listeners on the response at any moment. */
  maxDrainListeners: number;
  disconnects: number;
  /** What a write before the stream was opened returned. */
  writtenBeforeOpen: boolean;
}

class SseTestServer {
  private readonly server: Server;
  private readonly exchanges: Exchange[] = [];
  private readonly waiting: Array<(exchange: Exchange) => void> = [];

  constructor(
    private readonly source: () => CountingEventStream,
    private readonly options: Omit<SseWriterOptions, 'onDisconnect'>,
  ) {
    this.server = createServer((_req, res) => {
      const exchange: Exchange = {
        res,
        source: this.source(),
        delivered: 0,
        maxDrainListeners: 0,
        disconnects: 0,
        writtenBeforeOpen: true,
        sut: undefined as unknown as SseWriter,
      };
      const onDisconnect = () => {
        exchange.disconnects += 1;
        // What ChatService does: cancel the turn (here: destroy the upstream).
        exchange.source.destroy();
      };
      exchange.sut = new SseWriter(res, exchange.source, { ...this.options, onDisconnect });
      exchange.writtenBeforeOpen = exchange.sut.send({ early: true });
      exchange.sut.open();
      exchange.source.on('data', (event: TurnEvent) => {
        exchange.delivered += 1;
        exchange.sut.send(event);
        exchange.maxDrainListeners = Math.max(exchange.maxDrainListeners, res.listenerCount('drain'));
      });
      exchange.source.on('end', () => {
        exchange.sut.event('[DONE]');
        exchange.sut.end();
      });
      const next = this.waiting.shift();
      if (next) next(exchange);
      else this.exchanges.push(exchange);
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  nextExchange(): Promise<Exchange> {
    const ready = this.exchanges.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** A raw HTTP/1.1 client on a TCP socket, so the spec decides exactly when bytes are read. */
class RawSseClient {
  readonly socket: Socket;
  /** Bytes received so far. */
  size = 0;
  private received: Buffer[] = [];
  private tail = Buffer.alloc(0);
  private listeners: Array<() => void> = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.size += chunk.length;
      this.tail = Buffer.concat([this.tail, chunk]).subarray(-16);
      for (const listener of this.listeners) listener();
    });
    this.socket.write(
      'GET /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\n\r\n',
    );
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    if (this.received.length > 1) this.received = [Buffer.concat(this.received, this.size)];
    return this.received[0] ?? Buffer.alloc(0);
  }

  /** True once the last chunk of a chunked response arrived. */
  get complete(): boolean {
    return this.tail.toString('latin1').endsWith('\r\n0\r\n\r\n');
  }

  /** Resolves once `done` holds (checked on every chunk received, never by the clock). */
  until(done: (client: RawSseClient) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this)) return;
        this.listeners = this.listeners.filter((listener) => listener !== check);
        resolve();
      };
      this.socket.once('close', () => reject(new Error('the connection closed first')));
      this.listeners.push(check);
      check();
    });
  }
}

/** Splits a chunked HTTP/1.1 response into its head and de-chunked body. */
function parseResponse(raw: Buffer): { head: string; body: Buffer; complete: boolean } {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { head: '', body: Buffer.alloc(0), complete: false };
  const head = raw.subarray(0, headEnd).toString('latin1');
  const parts: Buffer[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) return { head, body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { head, body: Buffer.concat(parts), complete: raw.length >= lineEnd + 4 };
    const start = lineEnd + 2;
    if (raw.length < start + size + 2) return { head, body: Buffer.concat(parts), complete: false };
    parts.push(raw.subarray(start, start + size));
    at = start + size + 2;
  }
}

const complete = (client: RawSseClient) => client.complete;

function expectedBody(count: number, textBytes: number, comments = ''): Buffer {
  let body = comments;
  for (let seq = 0; seq < count; seq += 1) {
    body += `data: ${JSON.stringify({ seq, text: 'x'.repeat(textBytes) })}\n\n`;
  }
  return Buffer.from(`${body}data: [DONE]\n\n`, 'utf8');
}

/**
 * The stream is stuck on the client: the client's socket stopped reading (its buffer is at the
 * high-water mark), the response holds data the kernel would not take, and the upstream is paused with
 * its own buffer full. Nothing can move from here until the client reads.
 */
function stalled(client: RawSseClient, { res, source }: Exchange): boolean {
  return (
    client.socket.readableLength >= client.socket.readableHighWaterMark &&
    res.writableNeedDrain &&
    source.isPaused() &&
    source.readableLength >= source.readableHighWaterMark
  );
}

/** Lets pending I/O callbacks and ticks run a few times (a stability check, not a clock). */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Stalled, and still stalled with nothing more pulled after the event loop settled: the kernel may
 * grow a paused client's receive window for a while after the first stall (TCP auto-tuning, slower on
 * a busy machine), which rightly drains the server's socket and resumes the upstream once more.
 */
async function stalledSteadily(client: RawSseClient, exchange: Exchange): Promise<boolean> {
  if (!stalled(client, exchange)) return false;
  const pulled = exchange.source.pulled;
  await settle();
  return stalled(client, exchange) && exchange.source.pulled === pulled;
}

/** Checked on every timer turn, with a generous cap: filling the buffers takes what it takes. */
const STALL_WAIT = { timeoutMs: 30_000, intervalMs: 0 };

describe(SseWriter.name, () => {
  const textBytes = 1_000;
  let server: SseTestServer;
  let port: number;
  const clients: RawSseClient[] = [];

  // Enough events to fill any socket buffers many times over; a writer that never pauses the upstream
  // makes the spec wait out its cap instead of pulling forever.
  const startServer = async (options: Omit<SseWriterOptions, 'onDisconnect'>, available = 1_000_000) => {
    server = new SseTestServer(() => new CountingEventStream(textBytes, available), options);
    port = await server.listen();
  };
  const startClient = () => {
    const client = new RawSseClient(port);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await server?.close();
  });

  it('pauses the upstream while the client does not read and resumes it once it does, losing nothing', async () => {
    await startServer({ heartbeatMs: 3_600_000 });
    const client = startClient();
    client.socket.pause(); // the client stops reading: the kernel buffers fill, then the socket's
    const exchange = await server.nextExchange();
    const { sut, res, source } = exchange;

    // Several fill/drain cycles: each must pause the upstream, park no more than one 'drain' listener
    // and stop pulling; each read by the client must resume it.
    const cycles = 3;
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      await waitFor('the stream to stall', () => stalledSteadily(client, exchange), STALL_WAIT);
      expect(sut.waitingForDrain).toBe(true);
      expect(res.listenerCount('drain')).toBe(1);

      // While paused, the upstream is pulled at most to its own buffer's high-water mark, then no more.
      const pulled = source.pulled;
      const delivered = exchange.delivered;
      await settle();
      expect(source.pulled).toBe(pulled);
      expect(exchange.delivered).toBe(delivered);
      expect(pulled - delivered).toBe(source.readableLength);
      expect(source.readableLength).toBeLessThanOrEqual(source.readableHighWaterMark);

      const resumed = once(source, 'resume');
      client.socket.resume();
      await resumed; // the socket drained and the writer resumed the upstream (it may fill up again at once)
      // Read a while, then stop again (the upstream is endless, so the buffers fill again).
      const seen = client.size;
      await client.until(({ size }) => size > seen);
      if (cycle < cycles - 1) client.socket.pause();
    }

    source.endAfter(50);
    await client.until(complete);

    const { head, body, complete: parsed } = parseResponse(client.bytes);
    expect(parsed).toBe(true);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toContain('content-type: text/event-stream; charset=utf-8');
    expect(head).toContain('cache-control: no-cache');
    expect(head).toContain('x-accel-buffering: no');
    // Every event the upstream produced arrived, in order, byte for byte, then [DONE].
    expect(exchange.delivered).toBe(source.pulled);
    expect(body.equals(expectedBody(source.pulled, textBytes))).toBe(true);
    // No listener leak over the fill/drain cycles.
    expect(exchange.maxDrainListeners).toBeLessThanOrEqual(1);
    expect(res.listenerCount('drain')).toBe(0);
    expect(sut.isClosed).toBe(true);
    expect(sut.disconnected).toBe(false);
    expect(exchange.disconnects).toBe(0);
  });

  it('keeps one drain listener however many writes hit a full socket', async () => {
    await startServer({ heartbeatMs: 3_600_000 });
    const client = startClient();
    client.socket.pause();
    const exchange = await server.nextExchange();
    const { sut, res, source } = exchange;
    await waitFor('the stream to stall', () => stalledSteadily(client, exchange), STALL_WAIT);

    // Writes that do not come from the upstream (heartbeats, a finish burst) also meet a full socket.
    for (let i = 0; i < 200; i += 1) expect(sut.send({ extra: i })).toBe(false);
    expect(res.listenerCount('drain')).toBe(1);
    expect(source.isPaused()).toBe(true);

    source.endAfter(0);
    client.socket.resume();
    await client.until(complete);
    expect(res.listenerCount('drain')).toBe(0);
  });

  it('reports a client that leaves while the stream is paused, and writes nothing after that', async () => {
    await startServer({ heartbeatMs: 5 });
    const client = startClient();
    client.socket.pause();
    const exchange = await server.nextExchange();
    const { sut, res, source } = exchange;
    await waitFor('the stream to stall', () => stalledSteadily(client, exchange), STALL_WAIT);

    let writesAfterClose = 0;
    const errors: Error[] = [];
    res.on('error', (error: Error) => errors.push(error));
    res.once('close', () => {
      // From here on, count every write that reaches the response (the heartbeat's included).
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      res.write = ((...args: unknown[]) => {
        writesAfterClose += 1;
        return write(...args);
      }) as ServerResponse['write'];
    });
    const closed = once(res, 'close');
    client.socket.destroy();
    await closed;

    expect(exchange.disconnects).toBe(1);
    expect(sut.isClosed).toBe(true);
    expect(sut.disconnected).toBe(true);
    expect(sut.waitingForDrain).toBe(false);
    expect(res.listenerCount('drain')).toBe(0);
    expect(() => sut.send({ late: true })).not.toThrow();
    expect(sut.send({ late: true })).toBe(false);
    expect(sut.event('[DONE]')).toBe(false);
    expect(() => sut.end()).not.toThrow();
    // Let several heartbeat periods pass (this waits for an absence, it measures no speed).
    await new Promise((resolve) => setTimeout(resolve, 50));
    await settle();
    expect(writesAfterClose).toBe(0);
    expect(errors).toEqual([]);
    expect(exchange.disconnects).toBe(1);
    // The caller cancelled the upstream; the writer did not resume it.
    expect(source.destroyed).toBe(true);
    expect(source.isPaused()).toBe(true);
  });

  it('writes nothing before it is opened or after it ended, and sends heartbeats in between', async () => {
    await startServer({ heartbeatMs: 5 }, 3);
    const client = startClient();
    const { sut, source, writtenBeforeOpen } = await server.nextExchange();
    expect(writtenBeforeOpen).toBe(false);
    // The server opened it; a heartbeat shows up between events while the stream is open.
    await client.until(({ bytes }) => bytes.includes(': ping\n\n'));
    source.endAfter(0);
    await client.until(complete);
    expect(sut.isClosed).toBe(true);
    expect(sut.send({ late: true })).toBe(false);
    const events = parseResponse(client.bytes)
      .body.toString('utf8')
      .split('\n\n')
      .filter((line) => line && line !== ': ping');
    expect(events.at(-1)).toBe('data: [DONE]'); // and no `early` event before the first one
    expect(
      events.slice(0, -1).map((line) => (JSON.parse(line.slice('data: '.length)) as TurnEvent).seq),
    ).toEqual(Array.from({ length: source.pulled }, (_, seq) => seq));
  });
});
