// Owns the wire side of one Server-Sent Events response: the SSE headers, `data: …` events (named ones
// too), `: ping` heartbeats, backpressure (the upstream is paused while the socket's buffer is full and
// resumed on 'drain') and the end of the stream. Nothing is written after the response ended or the client left;
// a client that leaves is reported once, so the caller can cancel the work that feeds the stream.
import type { ServerResponse } from 'node:http';

/** What the writer needs of its source; a grpc-js ClientReadableStream (a Node Readable) is one. */
export interface PausableUpstream {
  pause(): void;
  resume(): void;
  isPaused(): boolean;
}

export interface SseWriterOptions {
  /** Interval of `: ping` comments once the stream is open (keeps proxies from timing it out). */
  heartbeatMs: number;
  /** Called once when the client goes away before the stream was ended. */
  onDisconnect?: () => void;
}

export class SseWriter {
  private opened = false;
  private ended = false;
  private gone = false;
  private heartbeat: NodeJS.Timeout | undefined;
  // At most one 'drain' listener at a time: a long stream that fills the socket again and again must not
  // pile listeners up (MaxListenersExceededWarning, memory), so a pending one is reused, not re-added.
  private drainListener: (() => void) | undefined;
  // Only an upstream this writer paused is resumed on 'drain'; someone else's pause is theirs to undo.
  private resumeOnDrain = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly upstream: PausableUpstream,
    private readonly options: SseWriterOptions,
  ) {
    res.on('close', () => {
      // 'close' also follows a normal end; only a close before the end is a client that went away.
      if (this.ended) return;
      this.gone = true;
      this.stop();
      this.options.onDisconnect?.();
    });
  }

  /** True once the headers are out (the HTTP status can no longer change). */
  get isOpen(): boolean {
    return this.opened;
  }

  /** True once nothing more will be written: ended by us or the client went away. */
  get isClosed(): boolean {
    return this.ended || this.gone;
  }

  /** True when the client went away before the stream was ended. */
  get disconnected(): boolean {
    return this.gone;
  }

  /** True while the upstream is paused because the socket is full. */
  get waitingForDrain(): boolean {
    return this.drainListener !== undefined;
  }

  /** Sends the 200 and the SSE headers now and starts the heartbeat. */
  open(): void {
    if (this.opened || this.isClosed) return;
    const { res } = this;
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('connection', 'keep-alive');
    // nginx buffers responses by default, which would hold events back.
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    this.opened = true;
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), this.options.heartbeatMs);
  }

  /**
   * One event carrying `value` as JSON, with an `id:` line when given (what a reconnecting client sends
   * back as Last-Event-ID); false when it was not written (closed) or the socket is full.
   */
  send(value: unknown, id?: number): boolean {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.write(`${idLine}data: ${JSON.stringify(value)}\n\n`);
  }

  /**
   * One event named `name` (an `event:` line, as the Responses API streams) carrying `value` as JSON,
   * with an `id:` line when given (what a reconnecting client sends back as Last-Event-ID).
   */
  sendNamed(name: string, value: unknown, id?: number): boolean {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.write(`${idLine}event: ${name}\ndata: ${JSON.stringify(value)}\n\n`);
  }

  /** One event with a raw data line (e.g. `[DONE]`); `data` must not contain a newline. */
  event(data: string): boolean {
    return this.write(`data: ${data}\n\n`);
  }

  /** Ends the response (if it was opened) and stops the heartbeat; later writes are dropped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    const { res } = this;
    if (this.opened && !res.writableEnded && !res.destroyed) res.end();
  }

  private write(payload: string): boolean {
    const { res } = this;
    if (!this.opened || this.isClosed || res.writableEnded || res.destroyed) return false;
    if (res.write(payload)) return true;
    // Backpressure: the socket's buffer is full, so stop pulling from the upstream until it drains.
    if (!this.upstream.isPaused()) {
      this.upstream.pause();
      this.resumeOnDrain = true;
    }
    if (!this.drainListener) {
      this.drainListener = () => {
        this.drainListener = undefined;
        const resume = this.resumeOnDrain;
        this.resumeOnDrain = false;
        if (resume && !this.isClosed) this.upstream.resume();
      };
      res.once('drain', this.drainListener);
    }
    return false;
  }

  private stop(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.drainListener) {
      this.res.off('drain', this.drainListener);
      this.drainListener = undefined;
    }
  }
}
