// Owns the Responses API on the BFF side. A response runs as the chat turn the orchestrator already runs
// (stateless: the context is the stored transcript of previous_response_id plus this input), so safety,
// tools, structured output, grounding and metering are the chat path's; ResponseBuilder folds the turn
// into OpenAI's Response and stream events.
// - Foreground (the default): the turn lives as long as the HTTP request; a client that leaves cancels
//   it (stored as `cancelled`). With `store` on the response is written when its turn started and when
//   it ended.
// - Background (`background: true`): BackgroundTurnDriver runs the turn detached (BackgroundResponseTurn
//   folds and stores it); the POST answers at once (or streams from the response's event log), and any
//   replica can stream it again from `starting_after` (or Last-Event-ID), take it over when its driver
//   died, or cancel it.
import { randomUUID } from 'node:crypto';

import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status as grpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Response } from 'express';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import type { BackgroundTurnDriver } from '../background/background-turn.driver';
import { lastEventId, tailEventLog } from '../background/event-log.tail';
import type { TurnEventLog } from '../background/turn-event.log';
import { idempotencyKeyHeader, promptVariantHeader, toRunTurnRequest } from '../chat/chat-request.mapper';
import { SseWriter } from '../chat/sse.writer';
import { ApiError } from '../errors/api.error';
import { apiErrorFromDetail, apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import { guardedTurnListener } from '../errors/turn-event.listener';
import type { BffRequest } from '../http/bff-request';
import { setCostHeaders } from '../http/cost.headers';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import { BackgroundResponseTurn } from './background-response.turn';
import { ResponseBuilder, type ResponseEvent, type ResponseObject } from './response.builder';
import type { InputItemPage, ResponseStore, StoredResponseRecord } from './response.store';
import {
  checkSemantics,
  continuedTranscript,
  toChatRequest,
  toStoredInputItems,
  toTranscript,
  type StoredInputItem,
  type TranscriptParent,
} from './responses-request.mapper';
import type {
  CreateResponseRequest,
  InputItem,
  ListInputItemsQuery,
  RetrieveResponseQuery,
} from './responses.schemas';

/** How long POST …/cancel waits for the cancelled turn's end to be recorded. */
const CANCEL_WAIT_MS = 10_000;

export interface ResponsesServiceOptions {
  orchestrator: OrchestratorClient;
  store: ResponseStore;
  log: TurnEventLog<ResponseEvent>;
  driver: BackgroundTurnDriver<ResponseEvent, ResponseObject>;
  limiter: RateLimiterService;
  logger: Logger;
  maxDurationMs: number;
  heartbeatMs: number;
}

type TurnCall = ClientReadableStream<orchestratorV1.RunTurnResponse>;

/** One foreground response: its turn call and what it is folded into. */
interface Run {
  call: TurnCall;
  builder: ResponseBuilder;
  caller: AuthenticatedCaller;
  inputItems: StoredInputItem[];
  context: ReturnType<typeof toTranscript>;
  /** The previous response, when `context` starts with its transcript unchanged. */
  transcriptParent?: TranscriptParent;
  /** Writes of the stored response, one after another (the in-progress one never lands last). */
  saving: Promise<void>;
  /** True once the first write (the insert) is queued. */
  saved?: boolean;
}

export class ResponsesService {
  private readonly active = new Set<TurnCall>();

  constructor(private readonly options: ResponsesServiceOptions) {}

  /** Handles POST /v1/responses; resolves once the answer (or the stream) is written. */
  async create(req: BffRequest, res: Response, body: CreateResponseRequest): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    const idempotencyKey = idempotencyKeyHeader(req.header('idempotency-key'));
    checkSemantics(body);
    const previous = body.previous_response_id
      ? await this.options.store.transcript(caller, body.previous_response_id, 'previous_response_id')
      : [];
    const items: InputItem[] =
      typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
    const context = toTranscript(previous, items);
    const transcriptParent = continuedTranscript(body.previous_response_id, previous, context);
    const background = body.background === true;
    const request = toRunTurnRequest(toChatRequest(body, context), {
      caller: toGrpcCaller(caller),
      requestId: req.requestId,
      // A background turn always has a key: it is how a replica re-attaches to it.
      idempotencyKey: background ? idempotencyKey || `response-${randomUUID()}` : idempotencyKey,
      promptVariant: promptVariantHeader(req.header('hearth-prompt-variant')),
    });
    const inputItems = toStoredInputItems(body.input);
    if (background && idempotencyKey) {
      // A retry with the client's key answers with the response that key began (its log read from the
      // start when streamed), instead of starting the turn's fold again over the same log.
      const earlier = await this.options.store.findByIdempotencyKey(caller, idempotencyKey);
      if (earlier?.turn) return this.retried(req, res, caller, earlier, body);
    }
    if (background) {
      // The driver settles the admission estimate when the turn ends, after this request did.
      const turn = { body, request: { ...request, detached: true }, context, transcriptParent, turnId: '' };
      const response = await this.options.driver.begin(
        caller,
        new BackgroundResponseTurn(this.options.store, caller, turn, inputItems, -1, true),
        req.reservedTokens ?? 0,
      );
      if (body.stream === true) await this.tail(req, res, caller, response.id, -1);
      else res.json(response);
      return;
    }
    await this.foreground(req, res, body, request, { caller, inputItems, context, transcriptParent });
  }

  /**
   * A background response's retry with the same Idempotency-Key: the same request (streamed or not) is
   * answered by the response the key began; another request is a 422.
   */
  private async retried(
    req: BffRequest,
    res: Response,
    caller: AuthenticatedCaller,
    earlier: StoredResponseRecord,
    body: CreateResponseRequest,
  ): Promise<void> {
    // The same request, however it asks to be delivered (streamed or not).
    const asked = (b: CreateResponseRequest | undefined) => canonicalJson({ ...b, stream: undefined });
    if (asked(earlier.turn?.body) !== asked(body)) {
      throw new ApiError(422, 'This Idempotency-Key was used for another request.', {
        code: 'idempotency_key_reused',
        param: 'Idempotency-Key',
      });
    }
    // Nothing new runs: what admission took for this request goes back.
    void this.options.limiter.settle(caller, req.reservedTokens ?? 0, 0);
    const { id } = earlier.response;
    if (body.stream === true) return this.tail(req, res, caller, id, -1);
    if (earlier.response.status === 'in_progress') void this.options.driver.takeOverIfOrphaned(caller, id);
    res.json(earlier.response);
  }

  /** GET /v1/responses/{id}: the stored response, or with stream=true its events from starting_after. */
  async retrieve(req: BffRequest, res: Response, id: string, query: RetrieveResponseQuery): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    const stored = await this.options.store.get(caller, id);
    if (query.stream === true) {
      if (!stored.turn) {
        throw ApiError.badRequest(
          'Only a response created with background: true can be streamed again.',
          'stream',
        );
      }
      return this.tail(req, res, caller, id, query.starting_after ?? lastEventId(req) ?? -1);
    }
    if (stored.turn && stored.response.status === 'in_progress') {
      void this.options.driver.takeOverIfOrphaned(caller, id);
    }
    res.json(stored.response);
  }

  /** POST /v1/responses/{id}/cancel: cancels a background response's turn; answers the final response. */
  async cancel(caller: AuthenticatedCaller, id: string): Promise<ResponseObject> {
    const stored = await this.options.store.get(caller, id);
    if (!stored.turn) {
      throw ApiError.badRequest(
        'Only a response created with background: true can be cancelled.',
        'response_id',
      );
    }
    if (stored.response.status !== 'in_progress') return stored.response;
    await this.options.orchestrator
      .cancelTurn({ caller: toGrpcCaller(caller), turnId: stored.turn.turnId }, { timeoutMs: 10_000 })
      .catch((error: ServiceError) => {
        throw apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
      });
    // The driver records the end (the response stored, then the log's end marker): wait for it.
    const events = this.options.log.read(
      id,
      Number.MAX_SAFE_INTEGER,
      AbortSignal.timeout(CANCEL_WAIT_MS),
      () => this.options.driver.takeOverIfOrphaned(caller, id).then(() => false),
    );
    for await (const event of events) void event;
    return (await this.options.store.get(caller, id)).response;
  }

  async delete(
    caller: AuthenticatedCaller,
    id: string,
  ): Promise<{ id: string; object: 'response'; deleted: true }> {
    await this.options.store.delete(caller, id);
    await this.options.log.remove(id);
    return { id, object: 'response', deleted: true };
  }

  inputItems(caller: AuthenticatedCaller, id: string, query: ListInputItemsQuery): Promise<InputItemPage> {
    return this.options.store.inputItems(caller, id, query);
  }

  /** Shutdown: cancels foreground turns; background ones run on for another replica to take over. */
  async closeAll(): Promise<void> {
    for (const call of this.active) call.cancel();
    await this.options.driver.closeAll();
  }

  /** A foreground response: the turn lives as long as this request. */
  private async foreground(
    req: BffRequest,
    res: Response,
    body: CreateResponseRequest,
    request: orchestratorV1.RunTurnRequest,
    parts: Pick<Run, 'caller' | 'inputItems' | 'context' | 'transcriptParent'>,
  ): Promise<void> {
    const call = this.options.orchestrator.runTurn(request, {
      timeoutMs: this.options.maxDurationMs,
      requestId: req.requestId,
      idempotencyKey: request.idempotencyKey || undefined,
    });
    this.active.add(call);
    const run: Run = { ...parts, call, builder: new ResponseBuilder(body), saving: Promise.resolve() };
    try {
      if (body.stream === true) await this.stream(run, req, res);
      else {
        const response = await this.collect(run, res);
        // Stored before the client has it: a GET or DELETE right after must see the final response.
        await this.save(run);
        setCostHeaders(res, run.builder.turnUsage);
        res.json(response);
      }
    } finally {
      this.active.delete(call);
      const { builder } = run;
      const used = builder.started?.replayed ? 0 : builder.response.usage?.total_tokens;
      if (used !== undefined) void this.options.limiter.settle(run.caller, req.reservedTokens ?? 0, used);
      if (!builder.ended && builder.started) builder.cancel();
      await this.save(run);
    }
  }

  /** Streams a background response's logged events after `startingAfter` until its end. */
  private tail(
    req: BffRequest,
    res: Response,
    caller: AuthenticatedCaller,
    id: string,
    startingAfter: number,
  ): Promise<void> {
    return tailEventLog(req, res, {
      log: this.options.log,
      id,
      startingAfter,
      heartbeatMs: this.options.heartbeatMs,
      logger: this.options.logger,
      // Idle: take the response over if its driver died; stop when it ended and its log expired.
      onIdle: async () => {
        await this.options.driver.takeOverIfOrphaned(caller, id);
        const [stored, position] = await Promise.all([
          this.options.store.get(caller, id),
          this.options.log.position(id),
        ]);
        return stored.response.status !== 'in_progress' && position.lastSequence === -1;
      },
      send: (sse, event) => sse.sendNamed(event.type, event, event.sequence_number),
    });
  }

  /**
   * Queues a write of the response as it stands, when it is stored and its turn started (a refused
   * request stores nothing); resolves once every write queued so far is done.
   */
  private save(run: Run): Promise<void> {
    const { builder } = run;
    if (!builder.response.store || !builder.started) return run.saving;
    const record = {
      response: builder.snapshot(),
      inputItems: run.inputItems,
      transcript: [...run.context, ...builder.outputMessages()],
      transcriptParent: run.transcriptParent,
    };
    const first = !run.saved;
    run.saved = true;
    run.saving = run.saving.then(() =>
      this.options.store.save(run.caller, record, first).catch((error: unknown) => {
        this.options.logger.error(
          { err: error, responseId: record.response.id },
          'storing a response failed',
        );
      }),
    );
    return run.saving;
  }

  private apply(run: Run, event: orchestratorV1.RunTurnResponse): ResponseEvent[] {
    const events = run.builder.apply(event);
    if (event.started) void this.save(run);
    return events;
  }

  private collect(run: Run, res: Response): Promise<ResponseObject> {
    const { call, builder } = run;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: ApiError) => {
        if (settled) return;
        settled = true;
        call.cancel();
        if (builder.started) builder.fail(error.message);
        reject(error);
      };
      // The client left: the turn is cancelled upstream; what was written is stored as cancelled.
      res.on('close', () => {
        if (!res.writableFinished && !settled) {
          settled = true;
          call.cancel();
          resolve(builder.snapshot());
        }
      });
      call.on(
        'data',
        guardedTurnListener(
          (event: orchestratorV1.RunTurnResponse) => {
            if (event.error) return fail(apiErrorFromDetail(event.error));
            this.apply(run, event);
            if (event.finish && !settled) {
              settled = true;
              resolve(builder.snapshot());
            }
          },
          fail,
          this.options.logger,
        ),
      );
      call.on('error', (error: ServiceError) =>
        fail(apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator')),
      );
      call.on('end', () => fail(endedWithoutResult()));
    });
  }

  private stream(run: Run, req: BffRequest, res: Response): Promise<void> {
    const { call, builder } = run;
    const { heartbeatMs, logger } = this.options;
    return new Promise((resolve, reject) => {
      let done = false;
      /** The last event arrived; the response is being stored before the end is sent. */
      let finishing = false;
      const finish = () => {
        if (done) return;
        done = true;
        sse.end();
        resolve();
      };
      const sse = new SseWriter(res, call, {
        heartbeatMs,
        onDisconnect: () => {
          if (done) return;
          logger.debug({ requestId: req.requestId }, 'client disconnected; cancelling the response');
          call.cancel();
          finish();
        },
      });
      const send = (events: ResponseEvent[]) => {
        for (const event of events) if (!done) sse.sendNamed(event.type, event);
      };
      const failBeforeStart = (error: ApiError) => {
        if (done) return;
        done = true;
        sse.end();
        call.cancel();
        reject(error);
      };
      const failAfterStart = (error: ApiError) => {
        send(builder.fail(error.message));
        call.cancel();
        finish();
      };

      call.on(
        'data',
        guardedTurnListener(
          (event: orchestratorV1.RunTurnResponse) => {
            if (done) return;
            if (event.started) sse.open();
            else if (!sse.isOpen) {
              return failBeforeStart(
                new ApiError(500, 'The turn did not start properly.', { code: 'internal_error' }),
              );
            }
            if (event.error) return failAfterStart(apiErrorFromDetail(event.error));
            const events = this.apply(run, event);
            if (!event.finish) return send(events);
            // Stored before the client reads the end: a GET or DELETE right after sees the final response.
            finishing = true;
            void this.save(run).then(() => {
              send(events);
              finish();
            });
          },
          (error) => (sse.isOpen ? failAfterStart(error) : failBeforeStart(error)),
          logger,
        ),
      );
      call.on('error', (error: ServiceError) => {
        if (finishing) return;
        if (done || error.code === grpcStatus.CANCELLED) return finish();
        const mapped = apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
        if (sse.isOpen) failAfterStart(mapped);
        else failBeforeStart(mapped);
      });
      call.on('end', () => {
        if (done || finishing) return;
        if (sse.isOpen) failAfterStart(endedWithoutResult());
        else failBeforeStart(endedWithoutResult());
      });
    });
  }
}

function endedWithoutResult(): ApiError {
  return new ApiError(503, 'The turn ended without a result.', {
    code: 'service_unavailable',
    headers: { 'retry-after': '1' },
  });
}

/** JSON with object keys sorted at every level: equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(
          Object.entries(field as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : field,
  );
}
