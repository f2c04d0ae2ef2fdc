// Owns the three rpcs: RunTurn (validate, register the turn or find the one that already holds the
// request id / idempotency key, then run it or replay it), GetTurnTrace and CancelTurn. A repeated
// request never runs a second generation: a finished turn is replayed from what was stored, a running
// one is followed through its event log (even when another process runs it).
import { commonV1, durationFromMs, orchestratorV1, type toolsV1 } from '@hearth/contracts';
import type { TurnTrace } from '@hearth/db';
import {
  failedPrecondition,
  invalidArgument,
  isUuid,
  notFound,
  permissionDenied,
  requireStorableText,
} from '@hearth/grpc';
import { activeTraceId } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Observable, type Subscriber } from 'rxjs';

import type { DraftLeases } from './draft-lease.keeper';
import { toChatMessageText } from './replay.mapper';
import { requestFingerprint } from './request.fingerprint';
import { errorOf, finishReasonOf, toWireTrace } from './trace.mapper';
import type { TurnRegistry } from './turn-registry.service';
import { turnCaller, validateTurnRequest } from './turn-request.validator';
import { TurnRunFactory, type TurnDeps } from './turn-run.factory';
import type { TurnRun } from './turn.run';

export interface TurnServiceDeps extends TurnDeps {
  registry: TurnRegistry;
  /** Keeps the leases of this process's drafts alive while their turns run. */
  drafts: DraftLeases;
}

export class TurnService {
  /** Turns running in this process (for shutdown). */
  readonly running = new Set<TurnRun>();

  private readonly runs: TurnRunFactory;

  constructor(private readonly deps: TurnServiceDeps) {
    this.runs = new TurnRunFactory(deps);
  }

  runTurn(request: orchestratorV1.RunTurnRequest): Observable<orchestratorV1.RunTurnResponse> {
    return new Observable<orchestratorV1.RunTurnResponse>((subscriber) => {
      let run: TurnRun | undefined;
      const follow = new AbortController();
      this.start(request, subscriber, follow.signal, (created) => (run = created))
        .then(() => subscriber.complete())
        .catch((error: unknown) => subscriber.error(error));
      return () => {
        // A detached turn runs on when its caller goes; only CancelTurn stops it.
        if (!request.detached) run?.cancel();
        follow.abort();
      };
    });
  }

  private async start(
    request: orchestratorV1.RunTurnRequest,
    out: Subscriber<orchestratorV1.RunTurnResponse>,
    signal: AbortSignal,
    onRun: (run: TurnRun) => void,
  ): Promise<void> {
    const turn = validateTurnRequest(request, this.deps.prompts);
    // Server tools are checked before anything is stored: a tool the caller may not use is refused
    // with PERMISSION_DENIED, like any other bad request, rather than silently dropped.
    const serverTools = await this.serverTools(request);
    const persistStart = performance.now();
    const [outcome, resolved] = await Promise.all([
      this.deps.store.begin({
        tenantId: turn.caller.tenantId,
        userId: turn.caller.userId,
        requestId: request.requestId,
        idempotencyKey: turn.idempotencyKey,
        fingerprint: requestFingerprint(request),
        conversationId: turn.conversationId,
        parentMessageId: turn.parentMessageId,
        model: request.model,
        params: {},
        traceId: activeTraceId(),
        messages: request.messages,
      }),
      this.deps.gateway
        .resolveModel(
          request.caller as commonV1.Caller,
          request.model,
          Date.now() + this.deps.limits.stepTimeoutMs,
        )
        .catch(() => undefined),
    ]);
    const model = resolved?.id ?? request.model;
    if ('duplicate' in outcome) return this.replay(outcome.duplicate, request, model, out, signal);
    const begun = outcome.begun;
    const persistMs = performance.now() - persistStart;
    const { turnId } = begun;
    const draftId = begun.assistantMessageId;
    const emit = (event: orchestratorV1.RunTurnResponse) => {
      this.deps.registry.record(turnId, event);
      if (draftId && event.content) this.deps.drafts.append(draftId, event.content.text);
      if (!out.closed) out.next(event);
    };
    out.next({
      started: {
        turnId,
        conversationId: turn.conversationId ?? '',
        requestId: request.requestId,
        inputMessageIds: begun.inputMessages.map((message) => message.id),
        assistantMessageId: begun.assistantMessageId ?? '',
        model,
        createdAt: begun.createdAt,
        replayed: false,
        parentMessageId: begun.parentMessageId ?? '',
      },
    });
    const run = this.runs.create(turn, begun, emit, persistMs, serverTools, resolved);
    onRun(run);
    this.running.add(run);
    // The lease and the cancel-flag check travel to Redis while the turn already runs (a CancelTurn that
    // raced the start still cancels it when the check answers), and the stream ends without waiting for
    // the lease to be dropped: neither is on the client's path.
    const registered = this.deps.registry
      .register(turnId, () => run.cancel())
      .catch((error: unknown) => this.deps.logger.warn({ err: error, turnId }, 'turn lease write failed'));
    if (draftId) this.deps.drafts.hold(draftId);
    try {
      await run.execute();
    } finally {
      if (draftId) this.deps.drafts.release(draftId);
      this.running.delete(run);
      void registered.then(() => this.deps.registry.unregister(turnId));
    }
  }

  /** The requested server tools as the tool runner lists them for this caller (all must be allowed). */
  private async serverTools(request: orchestratorV1.RunTurnRequest): Promise<toolsV1.ToolInfo[]> {
    if (request.serverToolNames.length === 0) return [];
    if (!this.deps.tools) throw failedPrecondition('server-side tools are not enabled on this deployment');
    const listed = await this.deps.tools.listTools(
      { caller: request.caller },
      { timeoutMs: this.deps.limits.stepTimeoutMs },
    );
    const allowed = new Map(
      listed.tools.filter((tool) => tool.definition).map((tool) => [tool.definition?.name, tool]),
    );
    const refused = request.serverToolNames.filter((name) => !allowed.has(name));
    if (refused.length > 0)
      throw permissionDenied(`server tools not allowed for this caller: ${refused.join(', ')}`);
    return request.serverToolNames.map((name) => allowed.get(name) as toolsV1.ToolInfo);
  }

  /** A repeat of an earlier request: the stored result, or the running turn's events as they come. */
  private async replay(
    turn: TurnTrace,
    request: orchestratorV1.RunTurnRequest,
    model: string,
    out: Subscriber<orchestratorV1.RunTurnResponse>,
    signal: AbortSignal,
  ): Promise<void> {
    const { inputIds, answer } = await this.deps.store.turnMessages(turn);
    out.next({
      started: {
        turnId: turn.id,
        conversationId: turn.conversationId ?? '',
        requestId: turn.requestId,
        inputMessageIds: inputIds,
        assistantMessageId: answer?.id ?? '',
        model,
        createdAt: turn.createdAt,
        replayed: true,
        parentMessageId: '',
      },
    });
    if (turn.finishedAt === null) {
      const events = this.deps.registry.follow(turn.id, signal);
      for (;;) {
        const next = await events.next();
        if (next.done) {
          if (next.value === 'lost' && !signal.aborted) {
            out.next({
              error: {
                code: status.UNAVAILABLE,
                reason: 'TURN_LOST',
                message: 'the turn was interrupted; send the request again with a new idempotency key',
                partial: false,
                retryable: true,
              },
            });
          }
          return;
        }
        if (!out.closed) out.next(next.value);
      }
    }
    const wire = toWireTrace(turn);
    const lastRound = wire.rounds[wire.rounds.length - 1];
    const text = answer ? toChatMessageText(answer.content) : (lastRound?.outputText ?? '');
    if (text) out.next({ content: { text } });
    (lastRound?.toolCalls ?? []).forEach((call, index) =>
      out.next({ toolCall: { index, id: call.id, name: call.name, argumentsFragment: call.argumentsJson } }),
    );
    const error = errorOf(turn.error);
    if (error) {
      out.next({ error });
      return;
    }
    if (wire.citations) out.next({ citations: wire.citations });
    if (request.streamOptions?.includeUsage) out.next({ usage: wire.usage });
    const duration = turn.finishedAt.getTime() - turn.createdAt.getTime();
    out.next({
      finish: { finishReason: finishReasonOf(turn.finishReason), duration: durationFromMs(duration) },
    });
  }

  async getTurnTrace(
    request: orchestratorV1.GetTurnTraceRequest,
  ): Promise<orchestratorV1.GetTurnTraceResponse> {
    const caller = turnCaller(request.caller);
    if ((request.turnId === '') === (request.requestId === ''))
      throw invalidArgument('exactly one of turn_id or request_id is required');
    if (request.turnId !== '' && !isUuid(request.turnId)) throw invalidArgument('turn_id must be a UUID');
    requireStorableText('request_id', request.requestId);
    const row = await this.deps.store.findTrace(caller.tenantId, {
      turnId: request.turnId || undefined,
      requestId: request.requestId || undefined,
    });
    if (!row) throw notFound('turn not found');
    return { trace: toWireTrace(row) };
  }

  async cancelTurn(request: orchestratorV1.CancelTurnRequest): Promise<orchestratorV1.CancelTurnResponse> {
    const caller = turnCaller(request.caller);
    if (!isUuid(request.turnId)) throw invalidArgument('turn_id must be a UUID');
    const row = await this.deps.store.findTrace(caller.tenantId, { turnId: request.turnId });
    if (!row) throw notFound('turn not found');
    if (row.finishedAt !== null) return { cancelled: false };
    await this.deps.registry.cancel(row.id);
    return { cancelled: true };
  }

  /** Shutdown: cancel what still runs (each keeps its partial answer as incomplete). */
  cancelAll(): void {
    for (const run of this.running) run.cancel();
  }
}
