// Owns POST /v1/responses end to end on the BFF side and the stored responses behind GET, DELETE and
// input_items. A response runs as the chat turn the orchestrator already runs (stateless: the context
// is the stored transcript of previous_response_id plus this input), so safety, tools, structured
// output, grounding and metering are the chat path's. The turn is folded into OpenAI's Response and
// stream events by ResponseBuilder; with `store` on (the default) the response is written when its
// turn started and again when it ended, so a GET sees it in progress. A client that leaves a streamed
// response cancels its turn (background responses, which outlive the connection, are not here yet).
import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status as grpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Response } from 'express';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { toRunTurnRequest } from '../chat/chat-request.mapper';
import { apiErrorFromDetail } from '../chat/chat.service';
import { SseWriter } from '../chat/sse.writer';
import { ApiError } from '../errors/api.error';
import { apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import type { BffRequest } from '../http/bff-request';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import { ResponseBuilder, type ResponseEvent, type ResponseObject } from './response.builder';
import type { InputItemPage, ResponseStore } from './response.store';
import {
  toChatRequest,
  toStoredInputItems,
  toTranscript,
  type StoredInputItem,
} from './responses-request.mapper';
import type { CreateResponseRequest, InputItem, ListInputItemsQuery } from './responses.schemas';

export interface ResponsesServiceOptions {
  orchestrator: OrchestratorClient;
  store: ResponseStore;
  limiter: RateLimiterService;
  logger: Logger;
  maxDurationMs: number;
  heartbeatMs: number;
}

type TurnCall = ClientReadableStream<orchestratorV1.RunTurnResponse>;

/** What one turn's events are folded into: the builder plus where its events go. */
interface Run {
  call: TurnCall;
  builder: ResponseBuilder;
  caller: AuthenticatedCaller;
  inputItems: StoredInputItem[];
  context: ReturnType<typeof toTranscript>;
  /** Writes of the stored response, one after another (the in-progress one never lands last). */
  saving: Promise<void>;
}

export class ResponsesService {
  private readonly active = new Set<TurnCall>();

  constructor(private readonly options: ResponsesServiceOptions) {}

  /** Handles the request; resolves once the response is complete (or the client left). */
  async create(req: BffRequest, res: Response, body: CreateResponseRequest): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    const idempotencyKey = req.header('idempotency-key') ?? '';
    if (idempotencyKey.length > 255) {
      throw ApiError.badRequest('Idempotency-Key must be at most 255 characters.', 'Idempotency-Key');
    }
    const previous = body.previous_response_id
      ? await this.options.store.get(caller, body.previous_response_id, 'previous_response_id')
      : undefined;
    const items: InputItem[] =
      typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
    const context = toTranscript(previous?.transcript ?? [], items);
    const request = toRunTurnRequest(toChatRequest(body, context), {
      caller: toGrpcCaller(caller),
      requestId: req.requestId,
      idempotencyKey,
    });
    const call = this.options.orchestrator.runTurn(request, {
      timeoutMs: this.options.maxDurationMs,
      requestId: req.requestId,
      idempotencyKey: idempotencyKey || undefined,
    });
    this.active.add(call);
    const run: Run = {
      call,
      builder: new ResponseBuilder(body),
      caller,
      inputItems: toStoredInputItems(body.input),
      context,
      saving: Promise.resolve(),
    };
    try {
      if (body.stream === true) await this.stream(run, req, res);
      else res.json(await this.collect(run, res));
    } finally {
      this.active.delete(call);
      const { builder } = run;
      const used = builder.started?.replayed ? 0 : builder.response.usage?.total_tokens;
      if (used !== undefined) void this.options.limiter.settle(caller, req.reservedTokens ?? 0, used);
      if (builder.response.status === 'in_progress' && builder.started) builder.cancel();
      await this.save(run);
    }
  }

  get(caller: AuthenticatedCaller, id: string): Promise<ResponseObject> {
    return this.options.store.get(caller, id).then((stored) => stored.response);
  }

  async delete(
    caller: AuthenticatedCaller,
    id: string,
  ): Promise<{ id: string; object: 'response'; deleted: true }> {
    await this.options.store.delete(caller, id);
    return { id, object: 'response', deleted: true };
  }

  inputItems(caller: AuthenticatedCaller, id: string, query: ListInputItemsQuery): Promise<InputItemPage> {
    return this.options.store.inputItems(caller, id, query);
  }

  /** Cancels every running turn (shutdown). */
  closeAll(): void {
    for (const call of this.active) call.cancel();
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
    };
    run.saving = run.saving.then(() =>
      this.options.store.save(run.caller, record).catch((error: unknown) => {
        this.options.logger.error(
          { err: error, responseId: record.response.id },
          'storing a response failed',
        );
      }),
    );
    return run.saving;
  }

  /** Applies one RunTurn event; returns the stream events it produced. */
  private apply(run: Run, event: orchestratorV1.RunTurnResponse): ResponseEvent[] {
    const { builder } = run;
    if (event.started) {
      const events = builder.start(event.started);
      void this.save(run);
      return events;
    }
    if (event.content) return builder.content(event.content.text);
    if (event.toolCall) return builder.toolCall(event.toolCall);
    if (event.citations) builder.citationsOf(event.citations);
    else if (event.usage) builder.usage(event.usage);
    else if (event.finish) return builder.finish(event.finish.finishReason);
    return [];
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
      call.on('data', (event: orchestratorV1.RunTurnResponse) => {
        if (event.error) return fail(apiErrorFromDetail(event.error));
        this.apply(run, event);
        if (event.finish && !settled) {
          settled = true;
          resolve(builder.snapshot());
        }
      });
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

      call.on('data', (event: orchestratorV1.RunTurnResponse) => {
        if (done) return;
        if (event.started) sse.open();
        else if (!sse.isOpen) {
          return failBeforeStart(
            new ApiError(500, 'The turn did not start properly.', { code: 'internal_error' }),
          );
        }
        if (event.error) return failAfterStart(apiErrorFromDetail(event.error));
        send(this.apply(run, event));
        if (event.finish) finish();
      });
      call.on('error', (error: ServiceError) => {
        if (done || error.code === grpcStatus.CANCELLED) return finish();
        const mapped = apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
        if (sse.isOpen) failAfterStart(mapped);
        else failBeforeStart(mapped);
      });
      call.on('end', () => {
        if (done) return;
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
