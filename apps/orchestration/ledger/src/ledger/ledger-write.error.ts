// Owns telling a write that failed because of the event (a value the column refuses: it will fail
// every time, so after a few tries it belongs on the dead-letter topic) from one that failed because
// of the database (unreachable, pool exhausted, transaction timed out, deadlock: the event is fine and
// must wait, never be dead-lettered). It also turns Prisma's driver-adapter errors, whose message can
// be empty, into a reason a person can act on.
import { Prisma } from '@hearth/db';

/** Prisma codes of failures that say nothing about the event itself. */
const TRANSIENT_CODES = new Set([
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction API error (e.g. the transaction expired)
  'P2034', // write conflict or deadlock: retry
]);

/** Driver-adapter error kinds of the same nature. */
const TRANSIENT_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'ConnectionClosed',
  'TooManyConnections',
  'SocketTimeout',
  'TransactionAlreadyClosed',
  'AuthenticationFailed',
]);

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
    if (error instanceof Prisma.PrismaClientKnownRequestError) {
      const cause = driverCause(error.meta);
      const detail = cause?.originalMessage ?? cause?.kind ?? error.message.trim();
      const transient =
        error.code.startsWith('P1') ||
        TRANSIENT_CODES.has(error.code) ||
        (cause?.kind !== undefined && TRANSIENT_KINDS.has(cause.kind));
      return new LedgerWriteError(`${error.code}${detail ? `: ${detail}` : ''}`, transient, { cause: error });
    }
    if (
      error instanceof Prisma.PrismaClientInitializationError ||
      error instanceof Prisma.PrismaClientRustPanicError
    ) {
      return new LedgerWriteError(error.message, true, { cause: error });
    }
    // Anything else is deterministic for this event as far as we can tell: bounded tries, then the DLQ.
    return new LedgerWriteError(error instanceof Error ? error.message : String(error), false, {
      cause: error,
    });
  }
}

/** Whether the consumer may count this failure against the event (EventConsumer's isPoison). */
export function isPoisonWrite(error: unknown): boolean {
  return !LedgerWriteError.from(error).transient;
}

interface DriverCause {
  kind?: string;
  originalMessage?: string;
}

function driverCause(meta: Record<string, unknown> | undefined): DriverCause | undefined {
  const adapterError = meta?.['driverAdapterError'];
  if (typeof adapterError !== 'object' || adapterError === null) return undefined;
  const cause = (adapterError as { cause?: unknown }).cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { kind, originalMessage } = cause as Record<string, unknown>;
  return {
    kind: typeof kind === 'string' ? kind : undefined,
    originalMessage: typeof originalMessage === 'string' ? originalMessage : undefined,
  };
}
