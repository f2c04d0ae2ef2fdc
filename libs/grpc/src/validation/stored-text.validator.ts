// Owns the one check every rpc needs before a client's string reaches PostgreSQL: its text and jsonb
// types hold no NUL character (raw, or as the JSON escape `\u0000` in a jsonb document), and a query
// given one fails, which a handler would report as INTERNAL instead of the caller's INVALID_ARGUMENT.
import { invalidArgument } from '../errors/grpc-error';

export const INVALID_TEXT = 'INVALID_TEXT';

/** Throws INVALID_ARGUMENT (reason INVALID_TEXT, the field in the metadata) if `value` holds a NUL. */
export function requireStorableText(field: string, value: string): void {
  if (value.includes('\u0000') || value.includes('\\u0000')) {
    throw invalidArgument(INVALID_TEXT, `${field} must not contain NUL characters`, { field });
  }
}
