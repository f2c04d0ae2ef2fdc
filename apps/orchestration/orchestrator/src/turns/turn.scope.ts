// Owns what every part of one running turn shares: the validated request and what `begin` stored,
// the event sink, the trace, the turn's deadline and its cancellation. The loop and each collaborator
// read the same scope, so a cancel reaches a model call, a safety check and a confirmation wait alike.
import type { orchestratorV1 } from '@hearth/contracts';

import type { ValidatedTurn } from './turn-request.validator';
import { TurnTraceRecorder } from './turn-trace.recorder';
import type { BegunTurn } from './turn.store';

export type Emit = (event: orchestratorV1.RunTurnResponse) => void;

export interface TurnTimeouts {
  /** Deadline of each unary step (context, safety, tools). */
  stepTimeoutMs: number;
  /** Deadline of a whole turn. */
  turnTimeoutMs: number;
}

export class TurnScope {
  readonly trace = new TurnTraceRecorder();
  /** Epoch ms by which the whole turn ends. */
  readonly deadline: number;
  private readonly abort = new AbortController();

  constructor(
    readonly turn: ValidatedTurn,
    readonly begun: BegunTurn,
    readonly emit: Emit,
    readonly timeouts: TurnTimeouts,
    persistMs: number,
  ) {
    this.trace.add('persist', persistMs);
    this.deadline = Date.now() + timeouts.turnTimeoutMs;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  cancel(): void {
    this.abort.abort();
  }

  /** The deadline of one unary step: the step timeout, never past the turn's own deadline. */
  stepDeadline(): number {
    return Math.min(this.deadline, Date.now() + this.timeouts.stepTimeoutMs);
  }
}
