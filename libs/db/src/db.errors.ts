// Domain errors raised by @hearth/db repositories, and recognisers for the Prisma errors callers
// branch on. Callers map these to transport errors (gRPC NOT_FOUND / ALREADY_EXISTS, HTTP 404/409).
import { Prisma } from './generated/prisma';

export class ConversationNotFoundError extends Error {
  override readonly name = 'ConversationNotFoundError';
  constructor(readonly conversationId: string) {
    super(`conversation ${conversationId} does not exist or was deleted`);
  }
}

/** The request id already has its answer in the conversation: the turn is a replay, not to run again. */
export class DuplicateRequestError extends Error {
  override readonly name = 'DuplicateRequestError';
  constructor(readonly requestId: string) {
    super(`request ${requestId} already has an assistant message`);
  }
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('the pagination cursor is malformed');
  }
}

/** Prisma's error for a unique constraint violation. */
export const UNIQUE_VIOLATION = 'P2002';

/**
 * True when `err` is a unique violation, optionally of the constraint over exactly `columns`
 * (database column names). With driver adapters Prisma reports the columns under
 * meta.driverAdapterError.cause.constraint.fields rather than meta.target.
 */
export function isUniqueViolation(err: unknown, columns?: readonly string[]): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== UNIQUE_VIOLATION) return false;
  if (!columns) return true;
  const fields = violatedColumns(err);
  return fields !== undefined && fields.length === columns.length && columns.every((c) => fields.includes(c));
}

function violatedColumns(err: Prisma.PrismaClientKnownRequestError): string[] | undefined {
  const meta = err.meta as
    { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: unknown } } } } | undefined;
  const fields = meta?.driverAdapterError?.cause?.constraint?.fields ?? meta?.target;
  if (!Array.isArray(fields)) return undefined;
  // The adapter quotes identifiers ("request_id"); meta.target does not.
  return fields.map((f) => String(f).replace(/^"|"$/g, ''));
}
