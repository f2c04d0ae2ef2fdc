// Owns telling a database failure that says nothing about the statement (the database unreachable, a
// connection lost, the pool exhausted, a transaction expired, a deadlock: the same statement can
// succeed later) from one that will fail every time (a value a column refuses, a constraint), and
// turning Prisma's driver-adapter errors, whose message can be empty, into a reason a person can act on.
import { Prisma } from './generated/prisma';

export interface DbFailure {
  /** True when the database, not the statement, is at fault: retrying later may succeed. */
  transient: boolean;
  /** Prisma's code with the database's own words, e.g. `P2020: value "3000000000" is out of range…`. */
  reason: string;
}

/** Prisma codes of failures that say nothing about the statement itself. */
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

/**
 * SQLSTATE classes and codes of the same nature: connection exceptions (08), insufficient resources
 * (53: too many connections, out of memory or disk), operator intervention (57P01-57P03: the server
 * shutting down, restarting after a crash, or not yet accepting connections), serialization failures
 * and deadlocks (40001, 40P01).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57P0[1-3]|40001$|40P01$)/;

/** Socket-level failures node-postgres raises before Prisma can wrap them. */
const TRANSIENT_SOCKET =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect/;

export function classifyDbError(error: unknown): DbFailure {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const cause = driverCause(error.meta);
    const detail = cause?.originalMessage ?? cause?.kind ?? error.message.trim();
    const transient =
      error.code.startsWith('P1') ||
      TRANSIENT_CODES.has(error.code) ||
      (cause?.kind !== undefined && TRANSIENT_KINDS.has(cause.kind)) ||
      (cause?.originalCode !== undefined && TRANSIENT_SQLSTATE.test(cause.originalCode));
    return { transient, reason: `${error.code}${detail ? `: ${detail}` : ''}` };
  }
  if (
    error instanceof Prisma.PrismaClientInitializationError ||
    error instanceof Prisma.PrismaClientRustPanicError
  ) {
    return { transient: true, reason: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  return {
    transient:
      (sqlState !== undefined && TRANSIENT_SQLSTATE.test(sqlState)) ||
      TRANSIENT_SOCKET.test(`${typeof code === 'string' ? code : ''} ${message}`),
    reason: message,
  };
}

/** Whether the statement broke a foreign key (Prisma's P2003, or SQLSTATE 23503 from a raw query). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return error.code === 'P2003' || driverCause(error.meta)?.originalCode === '23503';
  }
  return (error as { code?: unknown } | null)?.code === '23503';
}

/** Whether retrying the same statement later may succeed (see classifyDbError). */
export function isTransientDbError(error: unknown): boolean {
  return classifyDbError(error).transient;
}

interface DriverCause {
  kind?: string;
  originalCode?: string;
  originalMessage?: string;
}

function driverCause(meta: Record<string, unknown> | undefined): DriverCause | undefined {
  const adapterError = meta?.['driverAdapterError'];
  if (typeof adapterError !== 'object' || adapterError === null) return undefined;
  const cause = (adapterError as { cause?: unknown }).cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { kind, originalCode, originalMessage } = cause as Record<string, unknown>;
  return {
    kind: typeof kind === 'string' ? kind : undefined,
    originalCode: typeof originalCode === 'string' ? originalCode : undefined,
    originalMessage: typeof originalMessage === 'string' ? originalMessage : undefined,
  };
}
