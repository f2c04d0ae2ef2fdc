// Owns the running of background turns (background responses, background chat completions): it runs a
// turn detached from any HTTP connection (the orchestrator keeps a detached turn running when its
// caller goes), lets the API's fold (BackgroundTurn) turn its events into stream events, appends those
// to the turn's event log and has the fold store the turn when it started and when it ended. The
// replica that drives a turn holds its driver lease; when that replica dies the lease lapses, and the
// next replica that looks at the turn (a GET, a stream reader idling) takes over: it sends the stored
// RunTurn request again with the same idempotency key, which re-attaches to the running turn (or
// replays the finished one), and the fold, told what the log holds, yields only what it lacks.
import { randomUUID } from 'node:crypto';

import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import { apiErrorFromDetail, apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import { guardedTurnListener } from '../errors/turn-event.listener';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import type { LoggedEvent, TurnEventLog } from './turn-event.log';

/** One background turn as its API folds and stores it; one instance per drive. */
export interface BackgroundTurn<E extends LoggedEvent, S> {
  /** The detached RunTurn request (idempotency key included). */
  readonly request: orchestratorV1.RunTurnRequest;
  /** The id clients know the turn by ('' until it started). */
  readonly id: string;
  /** True once the turn's `started` event was folded. */
  readonly started: boolean;
  /** True once the turn ended (finished, failed or cancelled). */
  readonly ended: boolean;
  /** Folds one event: the stream events the log does not hold yet, numbered after what it holds. */
  apply(event: orchestratorV1.RunTurnResponse): E[];
  /** Ends a started turn with an error: the events that say so. */
  fail(error: ApiError): E[];
  /** Tokens the turn used once it ended (0 for a replay of a turn charged already); else undefined. */
  usedTokens(): number | undefined;
  /** Stores the turn as it stands (after its start, after its end). */
  save(): Promise<void>;
  /** What `begin` resolves with. */
  snapshot(): S;
}

export interface BackgroundTurnDriverOptions<E extends LoggedEvent, S> {
  orchestrator: OrchestratorClient;
  log: TurnEventLog<E>;
  /** True when the caller has a running background turn with this id. */
  isRunning(caller: AuthenticatedCaller, id: string): Promise<boolean>;
  /**
   * The caller's stored turn with this id, rebuilt for a take-over with what the log holds; undefined
   * when it is not a running background turn.
   */
  resume(caller: AuthenticatedCaller, id: string): Promise<BackgroundTurn<E, S> | undefined>;
  logger: Logger;
  maxDurationMs: number;
  /** Settles the tokens taken at admission against the turn's usage once it ends. */
  limiter: RateLimiterService;
}

/** One background turn this replica drives. */
interface Drive<E extends LoggedEvent, S> {
  caller: AuthenticatedCaller;
  turn: BackgroundTurn<E, S>;
  /**
   * Tokens taken from the caller's bucket at admission, settled against the usage when the turn ends
   * (by the replica that began it; after a take-over the estimate stands).
   */
  reservedTokens?: number;
  /** Appends and saves, one after another, in order. */
  writes: Promise<void>;
}

type TurnCall = ClientReadableStream<orchestratorV1.RunTurnResponse>;

export class BackgroundTurnDriver<E extends LoggedEvent, S> {
  /** This replica's name on driver leases. */
  private readonly replica = randomUUID();
  /** The turns this replica reads, each with how to let go of it (stop reading, record nothing). */
  private readonly calls = new Map<TurnCall, () => void>();
  /** Turns this replica drives (a stalled event loop must not make it take over its own). */
  private readonly driving = new Set<string>();

  constructor(private readonly options: BackgroundTurnDriverOptions<E, S>) {}

  get log(): TurnEventLog<E> {
    return this.options.log;
  }

  /**
   * Starts a new background turn; resolves with its snapshot once the turn started (stored, its first
   * events logged), or rejects with the error that kept it from starting.
   */
  begin(caller: AuthenticatedCaller, turn: BackgroundTurn<E, S>, reservedTokens: number): Promise<S> {
    return this.run({ caller, turn, reservedTokens, writes: Promise.resolve() }, true);
  }

  /**
   * Takes over a background turn whose driver died: a no-op when it ended or a live replica holds its
   * lease. Never throws (a failure is logged; the next look tries again).
   */
  async takeOverIfOrphaned(caller: AuthenticatedCaller, id: string): Promise<void> {
    if (this.driving.has(id)) return;
    try {
      if (!(await this.options.isRunning(caller, id))) return;
      if (!(await this.options.log.claim(id, this.replica))) return;
      const position = await this.options.log.position(id);
      // Rebuilt after the claim: what the log holds cannot grow any more.
      const turn = position.ended ? undefined : await this.options.resume(caller, id);
      if (!turn) return void (await this.options.log.release(id, this.replica));
      this.options.logger.info({ turnId: id }, 'taking over a background turn whose driver died');
      await this.run({ caller, turn, writes: Promise.resolve() }, false);
    } catch (error) {
      this.options.logger.warn({ err: error, turnId: id }, 'taking over a background turn failed');
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

  /** Runs the turn call; resolves with the snapshot once it started. */
  private run(drive: Drive<E, S>, claimOnStart: boolean): Promise<S> {
    const { turn } = drive;
    const call = this.options.orchestrator.runTurn(turn.request, {
      timeoutMs: this.options.maxDurationMs,
      idempotencyKey: turn.request.idempotencyKey,
    });
    let renewal: NodeJS.Timeout | undefined;
    const stop = () => {
      clearInterval(renewal);
      this.calls.delete(call);
      this.driving.delete(turn.id);
    };
    return new Promise<S>((resolve, reject) => {
      let finished = false;
      // Another replica drives the turn now, or this one shuts down: stop reading, record nothing.
      const abandon = () => {
        finished = true;
        stop();
        call.cancel();
      };
      this.calls.set(call, abandon);
      const end = (events: E[]) => {
        if (finished) return;
        finished = true;
        this.write(drive, events, 'ended');
        stop();
        call.cancel();
        this.settle(drive);
        void drive.writes.then(() => this.options.log.release(turn.id, this.replica));
      };
      const fail = (error: ApiError) => {
        // The call's end (or its cancellation's error) after the turn ended, or after letting go.
        if (finished) return;
        if (!turn.started) {
          finished = true;
          stop();
          return reject(error);
        }
        end(turn.fail(error));
      };
      call.on(
        'data',
        guardedTurnListener(
          (event: orchestratorV1.RunTurnResponse) => {
            if (finished) return;
            if (event.error) return fail(apiErrorFromDetail(event.error));
            const events = turn.apply(event);
            if (event.started) {
              const id = turn.id;
              this.driving.add(id);
              const claimed = claimOnStart ? this.options.log.claim(id, this.replica) : Promise.resolve(true);
              const leaseMs = this.options.log.options.driverLeaseMs;
              renewal = setInterval(() => void this.renew(id, abandon), leaseMs / 3);
              renewal.unref();
              this.write(drive, events, 'started');
              void claimed.then(() => drive.writes).then(() => resolve(turn.snapshot()), reject);
              return;
            }
            if (turn.ended) end(events);
            else this.write(drive, events, 'running');
          },
          fail,
          this.options.logger,
        ),
      );
      call.on('error', (error: ServiceError) =>
        fail(apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator')),
      );
      call.on('end', () =>
        fail(new ApiError(503, 'The turn ended without a result.', { code: 'service_unavailable' })),
      );
    });
  }

  /** Corrects the admission estimate with the turn's usage. */
  private settle(drive: Drive<E, S>): void {
    if (drive.reservedTokens === undefined) return;
    const used = drive.turn.usedTokens();
    if (used !== undefined) void this.options.limiter.settle(drive.caller, drive.reservedTokens, used);
  }

  /** Keeps the driver lease; a replica that lost it stops reading (another one drives now). */
  private async renew(id: string, abandon: () => void): Promise<void> {
    const held = await this.options.log.renew(id, this.replica).catch(() => true);
    if (held) return;
    this.options.logger.warn({ turnId: id }, 'lost the driver lease of a background turn; stopping');
    abandon();
  }

  /** Queues the events for the log and, when the turn started or ended, a save of the turn. */
  private write(drive: Drive<E, S>, events: E[], phase: 'started' | 'running' | 'ended'): void {
    const { turn } = drive;
    const id = turn.id;
    const log = () => this.options.log.append(id, events, phase === 'ended');
    // The end goes to the log only after the final state is stored: a reader that saw the end
    // (a cancel waits for it) then reads the final state.
    drive.writes = drive.writes
      .then(async () => {
        if (phase === 'ended') return turn.save().then(log);
        await log();
        if (phase === 'started') await turn.save();
      })
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, turnId: id }, 'writing a background turn failed'),
      );
  }
}
