// Owns checking a google.protobuf.Timestamp field as the generated contracts decode it (a Date): one
// whose seconds lie outside what a Date holds decodes as an Invalid Date, whose NaN time then poisons
// every deadline computed from it (grpc-js throws "Deadline is too far in the future" for NaN, outside
// any handler, which ended the model gateway).
import { invalidArgument } from '../errors/grpc-error';

/** The field's time in epoch ms (undefined when unset); INVALID_ARGUMENT if it is not a valid time. */
export function timestampMs(field: string, value: Date | null | undefined): number | undefined {
  if (value == null) return undefined;
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw invalidArgument(`${field} is not a valid timestamp`);
  return ms;
}
