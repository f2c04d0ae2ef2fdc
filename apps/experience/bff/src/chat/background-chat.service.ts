// Owns background chat completions (`background: true` with a conversation_id and stream: true, an
// extension): the turn runs detached (BackgroundTurnDriver; BackgroundChatTurn folds it into chunks
// numbered by their SSE id), its chunks go to the completion's event log, and the client that began it
// reads them from there like any later reader. Any replica streams them again after `starting_after`
// (or Last-Event-ID) until `data: [DONE]`, takes the turn over when its driver died, or cancels it.
// The id is the completion id the chunks carry (`chatcmpl-…`); only its caller (tenant and user) sees
// it.
import type { orchestratorV1 } from '@hearth/contracts';
import { toGrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { ServiceError } from '@grpc/grpc-js';
import type { Response } from 'express';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import type { BackgroundTurnDriver } from '../background/background-turn.driver';
import { lastEventId, tailEventLog } from '../background/event-log.tail';
import type { TurnEventLog } from '../background/turn-event.log';
import { ApiError } from '../errors/api.error';
import { apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import type { BffRequest } from '../http/bff-request';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import type { BackgroundChatStore } from './background-chat.store';
import { BackgroundChatTurn, type ChatStreamEvent } from './background-chat.turn';
import type { BuilderOptions, ChatCompletion } from './chat-completion.builder';
import type { ResumeChatStreamQuery } from './chat.schemas';

/** How long POST …/cancel waits for the cancelled turn's end to be recorded. */
const CANCEL_WAIT_MS = 10_000;

export interface BackgroundChatServiceOptions {
  orchestrator: OrchestratorClient;
  store: BackgroundChatStore;
  driver: BackgroundTurnDriver<ChatStreamEvent, ChatCompletion>;
  logger: Logger;
  heartbeatMs: number;
}

export class BackgroundChatService {
  constructor(private readonly options: BackgroundChatServiceOptions) {}

  private get log(): TurnEventLog<ChatStreamEvent> {
    return this.options.driver.log;
  }

  /** Begins the detached turn and streams its chunks from the log (a client that leaves stops only that). */
  async begin(
    req: BffRequest,
    res: Response,
    request: orchestratorV1.RunTurnRequest,
    options: BuilderOptions,
  ): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    // A retry with the client's Idempotency-Key streams the completion that key began, from the start.
    const earlier = request.idempotencyKey
      ? await this.options.store.findByKey(caller, request.idempotencyKey)
      : undefined;
    if (earlier) {
      if (!sameTurn(earlier.turn.request, request)) {
        throw new ApiError(422, 'This Idempotency-Key was used for another request.', {
          code: 'idempotency_key_reused',
          param: 'Idempotency-Key',
        });
      }
      return this.tail(req, res, caller, earlier.id, -1);
    }
    const turn = new BackgroundChatTurn(this.options.store, caller, {
      tenantId: caller.tenantId,
      userId: caller.userId,
      // A background turn always has a key: it is how a replica re-attaches to it.
      request: {
        ...request,
        detached: true,
        idempotencyKey: request.idempotencyKey || `background-${req.requestId}`,
      },
      options,
      turnId: '',
    });
    // The driver settles the admission estimate when the turn ends, after this request did.
    const completion = await this.options.driver.begin(caller, turn, req.reservedTokens ?? 0);
    await this.tail(req, res, caller, completion.id, -1);
  }

  /** GET /v1/chat/completions/{id}/stream: the chunks after starting_after (or Last-Event-ID), then [DONE]. */
  async resume(req: BffRequest, res: Response, id: string, query: ResumeChatStreamQuery): Promise<void> {
    const caller = req.caller as AuthenticatedCaller;
    await this.options.store.get(caller, id);
    await this.tail(req, res, caller, id, query.starting_after ?? lastEventId(req) ?? -1);
  }

  /** POST /v1/chat/completions/{id}/cancel: cancels the turn; answers the final chat.completion. */
  async cancel(caller: AuthenticatedCaller, id: string): Promise<ChatCompletion> {
    const stored = await this.options.store.get(caller, id);
    if (stored.status !== 'in_progress' && stored.completion) return stored.completion;
    await this.options.orchestrator
      .cancelTurn({ caller: toGrpcCaller(caller), turnId: stored.turnId }, { timeoutMs: 10_000 })
      .catch((error: ServiceError) => {
        throw apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
      });
    // The driver records the end (the state stored, then the log's end marker): wait for it.
    const events = this.log.read(id, Number.MAX_SAFE_INTEGER, AbortSignal.timeout(CANCEL_WAIT_MS), () =>
      this.options.driver.takeOverIfOrphaned(caller, id).then(() => false),
    );
    for await (const event of events) void event;
    const ended = await this.options.store.get(caller, id);
    if (ended.completion) return ended.completion;
    throw new ApiError(503, 'The cancelled turn has not ended yet; try again.', {
      code: 'service_unavailable',
      headers: { 'retry-after': '1' },
    });
  }

  /** Shutdown: the turns run on, for another replica to take over. */
  closeAll(): Promise<void> {
    return this.options.driver.closeAll();
  }

  private tail(
    req: BffRequest,
    res: Response,
    caller: AuthenticatedCaller,
    id: string,
    startingAfter: number,
  ): Promise<void> {
    return tailEventLog(req, res, {
      log: this.log,
      id,
      startingAfter,
      heartbeatMs: this.options.heartbeatMs,
      logger: this.options.logger,
      // Idle: take the turn over if its driver died; stop when it ended and its log expired.
      onIdle: async () => {
        await this.options.driver.takeOverIfOrphaned(caller, id);
        const [stored, position] = await Promise.all([
          this.options.store.find(caller, id),
          this.log.position(id),
        ]);
        return !stored || (stored.status !== 'in_progress' && position.lastSequence === -1);
      },
      send: (sse, event) => sse.send(event.data, event.sequence_number),
      onEnd: (sse) => sse.event('[DONE]'),
    });
  }
}

/** The same turn request, request id and credentials aside (what the orchestrator's fingerprint compares). */
function sameTurn(stored: orchestratorV1.RunTurnRequest, request: orchestratorV1.RunTurnRequest): boolean {
  const turnOf = (r: orchestratorV1.RunTurnRequest) =>
    JSON.stringify({ ...r, caller: null, requestId: '', detached: true });
  return turnOf(stored) === turnOf(request);
}

/** How a replica finds a running background chat completion and rebuilds it to take it over. */
export function backgroundChatTurns(store: BackgroundChatStore, log: TurnEventLog<ChatStreamEvent>) {
  return {
    isRunning: async (caller: AuthenticatedCaller, id: string) =>
      (await store.find(caller, id))?.status === 'in_progress',
    resume: async (caller: AuthenticatedCaller, id: string) => {
      const stored = await store.find(caller, id);
      if (stored?.status !== 'in_progress') return undefined;
      return new BackgroundChatTurn(store, caller, stored, await log.logged(id));
    },
  };
}
