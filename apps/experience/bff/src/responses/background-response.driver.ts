// Owns the turns of background responses (`background: true`): it runs the turn detached from any HTTP
// connection (the orchestrator keeps a detached turn running when its caller goes), folds its events
// into the response, appends the stream events to the response's event log and stores the response
// when the turn started and when it ended. The replica that drives a response holds its driver lease;
// when that replica dies the lease lapses, and the next replica that looks at the response (a GET, a
// stream reader idling) takes over: it sends the stored RunTurn request again with the same
// idempotency key, which re-attaches to the running turn and replays its events from the first, and it
// appends only the events the log does not have yet.
import { randomUUID } from 'node:crypto';

import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { apiErrorFromDetail } from '../chat/chat.service';
import { ApiError } from '../errors/api.error';
import { apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import type { ResponseEventLog } from './response-event.log';
import { ResponseBuilder, type ResponseEvent, type ResponseObject } from './response.builder';
import type { ResponseStore, StoredTurn } from './response.store';
import type { StoredInputItem } from './responses-request.mapper';

export interface BackgroundResponseDriverOptions {
  orchestrator: OrchestratorClient;
  store: ResponseStore;
  log: ResponseEventLog;
  logger: Logger;
  maxDurationMs: number;
  /** Settles the tokens taken at admission against the turn's usage once it ends. */
  limiter: RateLimiterService;
}

/** One background response this replica drives. */
interface Drive {
  caller: AuthenticatedCaller;
  builder: ResponseBuilder;
  turn: StoredTurn;
  inputItems: StoredInputItem[];
  /** Events up to this sequence number are in the log already (a take-over skips them). */
  loggedThrough: number;
  /** A response this replica began (its first write inserts the row; a take-over only updates). */
  isNew: boolean;
  /**
   * Tokens taken from the caller's bucket at admission, settled against the usage when the turn ends
   * (by the replica that began it; after a take-over the estimate stands).
   */
  reservedTokens?: number;
  /** Appends and saves, one after another, in order. */
  writes: Promise<void>;
}

type TurnCall = ClientReadableStream<orchestratorV1.RunTurnResponse>;

export class BackgroundResponseDriver {
  /** This replica's name on driver leases. */
  private readonly replica = randomUUID();
  /** The turns this replica reads, each with how to let go of it (stop reading, record nothing). */
  private readonly calls = new Map<TurnCall, () => void>();
  /** Responses this replica drives (a stalled event loop must not make it take over its own). */
  private readonly driving = new Set<string>();

  constructor(private readonly options: BackgroundResponseDriverOptions) {}

  /**
   * Starts a new background response's detached turn; resolves with the response once the turn started
   * (stored, in progress), or rejects with the error that kept it from starting.
   */
  begin(
    caller: AuthenticatedCaller,
    turn: Omit<StoredTurn, 'turnId'>,
    inputItems: StoredInputItem[],
    reservedTokens: number,
  ): Promise<ResponseObject> {
    const drive: Drive = {
      caller,
      builder: new ResponseBuilder(turn.body),
      turn: { ...turn, turnId: '' },
      inputItems,
      loggedThrough: -1,
      isNew: true,
      reservedTokens,
      writes: Promise.resolve(),
    };
    return this.run(drive, true);
  }

  /**
   * Takes over a background response whose driver died: a no-op when it ended or a live replica holds
   * its lease. Never throws (a failure is logged; the next look tries again).
   */
  async takeOverIfOrphaned(caller: AuthenticatedCaller, id: string): Promise<void> {
    if (this.driving.has(id)) return;
    try {
      const stored = await this.options.store.get(caller, id);
      if (!stored.turn || stored.response.status !== 'in_progress') return;
      if (!(await this.options.log.claim(id, this.replica))) return;
      const position = await this.options.log.position(id);
      if (position.ended) return void (await this.options.log.release(id, this.replica));
      this.options.logger.info({ responseId: id }, 'taking over a background response whose driver died');
      const drive: Drive = {
        caller,
        builder: new ResponseBuilder(stored.turn.body),
        turn: stored.turn,
        inputItems: stored.inputItems,
        loggedThrough: position.lastSequence,
        isNew: false,
        writes: Promise.resolve(),
      };
      await this.run(drive, false);
    } catch (error) {
      this.options.logger.warn({ err: error, responseId: id }, 'taking over a background response failed');
    }
  }

  /**
   * Shutdown: lets go of the turns (they run on; nothing is failed) and of their leases, so the next
   * replica that reads one of them takes it over at once.
   */
  async closeAll(): Promise<void> {
    const driven = [...this.driving];
    for (const abandon of [...this.calls.values()]) abandon();
    await Promise.all(driven.map((id) => this.options.log.release(id, this.replica).catch(() => undefined)));
  }

  /** Runs the turn call; resolves with the response once it started. */
  private run(drive: Drive, claimOnStart: boolean): Promise<ResponseObject> {
    const { builder, turn } = drive;
    const call = this.options.orchestrator.runTurn(turn.request, {
      timeoutMs: this.options.maxDurationMs,
      idempotencyKey: turn.request.idempotencyKey,
    });
    let renewal: NodeJS.Timeout | undefined;
    const stop = () => {
      clearInterval(renewal);
      this.calls.delete(call);
      this.driving.delete(builder.response.id);
    };
    return new Promise<ResponseObject>((resolve, reject) => {
      let finished = false;
      // Another replica drives the response now, or this one shuts down: stop reading, record nothing.
      const abandon = () => {
        finished = true;
        stop();
        call.cancel();
      };
      this.calls.set(call, abandon);
      const end = (events: ResponseEvent[]) => {
        if (finished) return;
        finished = true;
        this.write(drive, events, true);
        stop();
        call.cancel();
        this.settle(drive);
        void drive.writes.then(() => this.options.log.release(builder.response.id, this.replica));
      };
      const fail = (error: ApiError) => {
        if (!builder.started) {
          finished = true;
          stop();
          return reject(error);
        }
        end(builder.fail(error.message));
      };
      call.on('data', (event: orchestratorV1.RunTurnResponse) => {
        if (finished) return;
        if (event.error) return fail(apiErrorFromDetail(event.error));
        const events = builder.apply(event);
        if (event.started) {
          turn.turnId = event.started.turnId;
          const id = builder.response.id;
          this.driving.add(id);
          const claimed = claimOnStart ? this.options.log.claim(id, this.replica) : Promise.resolve(true);
          const leaseMs = this.options.log.options.driverLeaseMs;
          renewal = setInterval(() => void this.renew(id, abandon), leaseMs / 3);
          renewal.unref();
          this.write(drive, events, false);
          void claimed.then(() => drive.writes).then(() => resolve(builder.snapshot()), reject);
          return;
        }
        if (builder.ended) end(events);
        else this.write(drive, events, false);
      });
      call.on('error', (error: ServiceError) =>
        fail(apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator')),
      );
      call.on('end', () =>
        fail(new ApiError(503, 'The turn ended without a result.', { code: 'service_unavailable' })),
      );
    });
  }

  /** Corrects the admission estimate with the turn's usage (a replayed turn was charged already). */
  private settle(drive: Drive): void {
    if (drive.reservedTokens === undefined) return;
    const used = drive.builder.started?.replayed ? 0 : drive.builder.response.usage?.total_tokens;
    if (used !== undefined) void this.options.limiter.settle(drive.caller, drive.reservedTokens, used);
  }

  /** Keeps the driver lease; a replica that lost it stops reading (another one drives now). */
  private async renew(id: string, abandon: () => void): Promise<void> {
    const held = await this.options.log.renew(id, this.replica).catch(() => true);
    if (held) return;
    this.options.logger.warn({ responseId: id }, 'lost the driver lease of a background response; stopping');
    abandon();
  }

  /**
   * Queues the events for the log (only those it does not hold yet; the last event of a taken-over
   * turn, which a finished turn's replay numbers differently, always) and a save of the response.
   */
  private write(drive: Drive, events: ResponseEvent[], ended: boolean): void {
    const { builder } = drive;
    const fresh = events.filter((event, index) => {
      if (event.sequence_number > drive.loggedThrough) return true;
      if (!ended || index !== events.length - 1) return false;
      event.sequence_number = drive.loggedThrough + 1;
      return true;
    });
    if (fresh.length > 0)
      drive.loggedThrough = Math.max(drive.loggedThrough, ...fresh.map((e) => e.sequence_number));
    const id = builder.response.id;
    const record = {
      response: builder.snapshot(),
      inputItems: drive.inputItems,
      transcript: [...drive.turn.context, ...builder.outputMessages()],
      turn: drive.turn,
    };
    const created = events.some((e) => e.type === 'response.created');
    const save = () => this.options.store.save(drive.caller, record, created && drive.isNew);
    const log = () => this.options.log.append(id, fresh, ended);
    // The end goes to the log only after the final response is stored: a reader that saw the end
    // (POST …/cancel waits for it) then reads the final response.
    drive.writes = drive.writes
      .then(async () => {
        if (ended) return save().then(log);
        await log();
        if (created) await save();
      })
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, responseId: id }, 'writing a background response failed'),
      );
  }
}
