// Owns telling a write that failed because of the event (a value the column refuses: it will fail
// every time, so after a few tries it belongs on the dead-letter topic) from one that failed because
// of the database (unreachable, pool exhausted, transaction timed out, deadlock: the event is fine and
// must wait, never be dead-lettered), through libs/db's classifyDbError.
import { classifyDbError } from '@hearth/db';

export class LedgerWriteError extends Error {
  override readonly name = 'LedgerWriteError';

  constructor(
    message: string,
    /** True when the database, not the event, is at fault. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static from(error: unknown): LedgerWriteError {
    if (error instanceof LedgerWriteError) return error;
    // Anything not recognised as the database's fault is deterministic for this event as far as we
    // can tell: bounded tries, then the dead-letter topic.
    const { transient, reason } = classifyDbError(error);
    return new LedgerWriteError(reason, transient, { cause: error });
  }
}

/** Whether the consumer may count this failure against the event (EventConsumer's isPoison). */
export function isPoisonWrite(error: unknown): boolean {
  return !LedgerWriteError.from(error).transient;
}
