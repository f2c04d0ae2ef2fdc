// Owns one chat completion request end to end on the BFF side: the RunTurn call (deadline, request id
// and idempotency key in the request and metadata), the wait for the turn's `started` event before
// anything is written (so failures before the turn started are real HTTP statuses), then either one
// JSON body or an SSE stream (written by SseWriter: heartbeats, backpressure that pauses the gRPC
// stream while the socket's buffer is full) and cancellation of the turn when the client goes away.
// Rate-limit token estimates are settled against the turn's real usage; a replayed turn costs nothing.
// A background request (`background: true`, an extension) goes to BackgroundChatService instead: its
// turn outlives the connection, which a client that leaves a foreground stream does not.
import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status as grpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Response } from 'express';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import { apiErrorFromDetail, apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import { guardedTurnListener } from '../errors/turn-event.listener';
import type { BffRequest } from '../http/bff-request';
import { setCostHeaders } from '../http/cost.headers';
import type { RateLimiterService } from '../ratelimit/rate-limiter.service';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import type { BackgroundChatService } from './background-chat.service';
import { ChatCompletionBuilder, type ChatCompletion } from './chat-completion.builder';
import { idempotencyKeyHeader, promptVariantHeader, toRunTurnRequest } from './chat-request.mapper';
import type { ChatCompletionRequest } from './chat.schemas';
import { SseWriter } from './sse.writer';

export interface ChatServiceOptions {
  orchestrator: OrchestratorClient;
  limiter: RateLimiterService;
  logger: Logger;
  maxDurationMs: number;
  heartbeatMs: number;
  background: BackgroundChatService;
}

type TurnCall = ClientReadableStream<orchestratorV1.RunTurnResponse>;

export class ChatService {
  private readonly active = new Set<TurnCall>();

  constructor(private readonly options: ChatServiceOptions) {}

  /** Handles the request; resolves once the response is complete (or the client left). */
  async complete(req: BffRequest, res: Response, body: ChatCompletionRequest): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    const idempotencyKey = idempotencyKeyHeader(req.header('idempotency-key'));
    const request = toRunTurnRequest(body, {
      caller: toGrpcCaller(caller),
      requestId: req.requestId,
      idempotencyKey,
      promptVariant: promptVariantHeader(req.header('hearth-prompt-variant')),
    });
    const builderOptions = {
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      singleToolCall: body.parallel_tool_calls === false,
      requestedModel: body.model,
    };
    if (body.background === true) return this.options.background.begin(req, res, request, builderOptions);
    const call = this.options.orchestrator.runTurn(request, {
      timeoutMs: this.options.maxDurationMs,
      requestId: req.requestId,
      idempotencyKey: idempotencyKey || undefined,
    });
    this.active.add(call);
    const builder = new ChatCompletionBuilder(builderOptions);
    try {
      if (body.stream === true) await this.stream(call, req, res, builder);
      else {
        const completion = await this.collect(call, res, builder);
        setCostHeaders(res, builder.usage);
        res.json(completion);
      }
    } finally {
      this.active.delete(call);
      const used = builder.started?.replayed ? 0 : builder.usage ? builder.usage.totalTokens || 0 : undefined;
      if (used !== undefined) void this.options.limiter.settle(caller, req.reservedTokens ?? 0, used);
    }
  }

  /** Cancels every running turn (shutdown). */
  closeAll(): void {
    for (const call of this.active) call.cancel();
  }

  private collect(call: TurnCall, res: Response, builder: ChatCompletionBuilder): Promise<ChatCompletion> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: ApiError) => {
        if (settled) return;
        settled = true;
        call.cancel();
        reject(error);
      };
      // The client left: the turn is cancelled upstream (its partial answer is kept as incomplete).
      res.on('close', () => {
        if (!res.writableFinished && !settled) {
          settled = true;
          call.cancel();
          resolve(builder.completion());
        }
      });
      call.on(
        'data',
        guardedTurnListener(
          (event: orchestratorV1.RunTurnResponse) => {
            if (event.started) builder.start(event.started);
            else if (event.content) builder.content(event.content.text);
            else if (event.toolCall) builder.toolCall(event.toolCall);
            else if (event.citations) builder.citations(event.citations);
            else if (event.usage) builder.usage = event.usage;
            else if (event.error) fail(apiErrorFromDetail(event.error));
            else if (event.finish) {
              builder.finish(event.finish.finishReason);
              if (!settled) {
                settled = true;
                resolve(builder.completion());
              }
            }
          },
          fail,
          this.options.logger,
        ),
      );
      call.on('error', (error: ServiceError) =>
        fail(apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator')),
      );
      call.on('end', () =>
        fail(
          new ApiError(503, 'The turn ended without a result.', {
            code: 'service_unavailable',
            headers: { 'retry-after': '1' },
          }),
        ),
      );
    });
  }

  private stream(
    call: TurnCall,
    req: BffRequest,
    res: Response,
    builder: ChatCompletionBuilder,
  ): Promise<void> {
    const { heartbeatMs, logger } = this.options;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        sse.end();
        resolve();
      };
      // The client left: the turn is cancelled upstream (its partial answer is kept as incomplete).
      const sse = new SseWriter(res, call, {
        heartbeatMs,
        onDisconnect: () => {
          if (done) return;
          logger.debug({ requestId: req.requestId }, 'client disconnected; cancelling the turn');
          call.cancel();
          finish();
        },
      });
      const send = (value: unknown) => {
        if (!done) sse.send(value);
      };
      const failBeforeStart = (error: ApiError) => {
        if (done) return;
        done = true;
        sse.end();
        call.cancel();
        reject(error);
      };
      const failAfterStart = (error: ApiError) => {
        send(error.toBody());
        call.cancel();
        finish();
      };

      call.on(
        'data',
        guardedTurnListener(
          (event: orchestratorV1.RunTurnResponse) => {
            if (done) return;
            if (event.started) {
              sse.open();
              send(builder.start(event.started));
            } else if (!sse.isOpen) {
              failBeforeStart(
                new ApiError(500, 'The turn did not start properly.', { code: 'internal_error' }),
              );
            } else if (event.content) {
              const chunk = builder.content(event.content.text);
              if (chunk) send(chunk);
            } else if (event.toolCall) {
              const chunk = builder.toolCall(event.toolCall);
              if (chunk) send(chunk);
            } else if (event.toolProgress) {
              // A tool waiting for confirmation shows up here: the client approves it over REST.
              send(builder.toolProgress(event.toolProgress));
            } else if (event.citations) {
              builder.citations(event.citations);
            } else if (event.usage) {
              builder.usage = event.usage;
            } else if (event.error) {
              failAfterStart(apiErrorFromDetail(event.error));
            } else if (event.finish) {
              for (const chunk of builder.finish(event.finish.finishReason)) send(chunk);
              sse.event('[DONE]');
              finish();
            }
          },
          (error) => (sse.isOpen ? failAfterStart(error) : failBeforeStart(error)),
          logger,
        ),
      );
      call.on('error', (error: ServiceError) => {
        if (done || error.code === grpcStatus.CANCELLED) return finish();
        const mapped = apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
        if (sse.isOpen) failAfterStart(mapped);
        else failBeforeStart(mapped);
      });
      call.on('end', () => {
        if (done) return;
        const error = new ApiError(503, 'The turn ended without a result.', {
          code: 'service_unavailable',
          headers: { 'retry-after': '1' },
        });
        if (sse.isOpen) failAfterStart(error);
        else failBeforeStart(error);
      });
    });
  }
}
