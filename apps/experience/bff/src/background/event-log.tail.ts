// Owns streaming a background turn's event log to one client over SSE: from `starting_after` (or the
// SSE Last-Event-ID a reconnecting client sends) until the log's end, with backpressure (the read
// waits while the socket is full) and heartbeats; a client that leaves stops the read, never the turn.
import type { Logger } from '@hearth/telemetry';

import type { Response } from 'express';

import { SseWriter, type PausableUpstream } from '../chat/sse.writer';
import type { BffRequest } from '../http/bff-request';
import type { LoggedEvent, TurnEventLog } from './turn-event.log';

export interface TailOptions<E extends LoggedEvent> {
  log: TurnEventLog<E>;
  id: string;
  startingAfter: number;
  heartbeatMs: number;
  logger: Logger;
  /** Runs each time the read idles (take the turn over if its driver died); true stops the read. */
  onIdle: () => Promise<boolean>;
  /** Writes one event. */
  send: (sse: SseWriter, event: E) => void;
  /** Writes what follows the log's end (e.g. `data: [DONE]`). */
  onEnd?: (sse: SseWriter) => void;
}

/** Streams the log's events after `startingAfter` until its end; resolves once the response ended. */
export async function tailEventLog<E extends LoggedEvent>(
  req: BffRequest,
  res: Response,
  options: TailOptions<E>,
): Promise<void> {
  const { log, id } = options;
  const reading = new AbortController();
  const flow = new ReadFlow();
  const sse = new SseWriter(res, flow, {
    heartbeatMs: options.heartbeatMs,
    onDisconnect: () => {
      options.logger.debug({ requestId: req.requestId, turnId: id }, 'stream reader left');
      reading.abort();
      flow.resume();
    },
  });
  sse.open();
  let idledOut = false;
  const onIdle = async () => (idledOut = await options.onIdle());
  try {
    for await (const event of log.read(id, options.startingAfter, reading.signal, onIdle)) {
      options.send(sse, event);
      await flow.drained();
    }
    if (!reading.signal.aborted && !idledOut) options.onEnd?.(sse);
  } finally {
    sse.end();
  }
}

/** The SSE Last-Event-ID a reconnecting client sends (our ids are sequence numbers). */
export function lastEventId(req: BffRequest): number | undefined {
  const value = req.header('last-event-id');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Backpressure for a log reader: the SSE writer pauses it while the socket is full. */
class ReadFlow implements PausableUpstream {
  private paused = false;
  private waiting: (() => void) | undefined;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.waiting?.();
    this.waiting = undefined;
  }

  isPaused(): boolean {
    return this.paused;
  }

  drained(): Promise<void> {
    return this.paused ? new Promise((resolve) => (this.waiting = resolve)) : Promise.resolve();
  }
}
