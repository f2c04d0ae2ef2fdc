// Owns how a background response folds and stores its turn (the BackgroundTurn the driver runs): the
// ResponseBuilder makes the stream events, the response store keeps the response (inserted when a new
// one started, updated after). After a take-over the turn's events are replayed from the first; the
// builder numbers them as before, so only those after what the log holds are passed on (and the last
// event of a finished turn, whose replay the builder numbers differently, always).
import type { orchestratorV1 } from '@hearth/contracts';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import type { BackgroundTurn } from '../background/background-turn.driver';
import type { TurnEventLog } from '../background/turn-event.log';
import type { ApiError } from '../errors/api.error';
import { ResponseBuilder, type ResponseEvent, type ResponseObject } from './response.builder';
import type { ResponseStore, StoredTurn } from './response.store';
import type { StoredInputItem } from './responses-request.mapper';

export class BackgroundResponseTurn implements BackgroundTurn<ResponseEvent, ResponseObject> {
  private readonly builder: ResponseBuilder;
  private saved = false;

  /**
   * `loggedThrough`: the last sequence number the log holds (-1 for a new response); `isNew`: this
   * replica begins the response (its first save inserts the row; a take-over only updates).
   */
  constructor(
    private readonly store: ResponseStore,
    private readonly caller: AuthenticatedCaller,
    private readonly turn: StoredTurn,
    private readonly inputItems: StoredInputItem[],
    private loggedThrough: number,
    private readonly isNew: boolean,
  ) {
    this.builder = new ResponseBuilder(turn.body);
  }

  get request(): orchestratorV1.RunTurnRequest {
    return this.turn.request;
  }

  get id(): string {
    return this.builder.response.id;
  }

  get started(): boolean {
    return this.builder.started !== undefined;
  }

  get ended(): boolean {
    return this.builder.ended;
  }

  apply(event: orchestratorV1.RunTurnResponse): ResponseEvent[] {
    const events = this.builder.apply(event);
    if (event.started) this.turn.turnId = event.started.turnId;
    return this.fresh(events);
  }

  fail(error: ApiError): ResponseEvent[] {
    return this.fresh(this.builder.fail(error.message));
  }

  usedTokens(): number | undefined {
    return this.builder.started?.replayed ? 0 : this.builder.response.usage?.total_tokens;
  }

  save(): Promise<void> {
    const first = this.isNew && !this.saved;
    this.saved = true;
    const record = {
      response: this.builder.snapshot(),
      inputItems: this.inputItems,
      transcript: [...this.turn.context, ...this.builder.outputMessages()],
      transcriptParent: this.turn.transcriptParent,
      turn: this.turn,
    };
    return this.store.save(this.caller, record, first);
  }

  snapshot(): ResponseObject {
    return this.builder.snapshot();
  }

  /** The events the log does not hold yet. */
  private fresh(events: ResponseEvent[]): ResponseEvent[] {
    const ended = this.builder.ended;
    const fresh = events.filter((event, index) => {
      if (event.sequence_number > this.loggedThrough) return true;
      if (!ended || index !== events.length - 1) return false;
      event.sequence_number = this.loggedThrough + 1;
      return true;
    });
    if (fresh.length > 0)
      this.loggedThrough = Math.max(this.loggedThrough, ...fresh.map((e) => e.sequence_number));
    return fresh;
  }
}

/** How a replica finds a running background response and rebuilds it to take it over. */
export function backgroundResponseTurns(store: ResponseStore, log: TurnEventLog<ResponseEvent>) {
  const running = async (caller: AuthenticatedCaller, id: string) => {
    const stored = await store.get(caller, id).catch(() => undefined);
    return stored?.turn && stored.response.status === 'in_progress' ? stored : undefined;
  };
  return {
    isRunning: async (caller: AuthenticatedCaller, id: string) => (await running(caller, id)) !== undefined,
    resume: async (caller: AuthenticatedCaller, id: string) => {
      const stored = await running(caller, id);
      if (!stored?.turn) return undefined;
      const { lastSequence } = await log.position(id);
      return new BackgroundResponseTurn(store, caller, stored.turn, stored.inputItems, lastSequence, false);
    },
  };
}
