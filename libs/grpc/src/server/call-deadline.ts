// The deadline a caller set on an incoming call, handed on so no work outlives the caller's patience.
import type { Deadline } from '@grpc/grpc-js';

/** The call's deadline in epoch ms, or undefined when the caller set none. */
export function deadlineOf(call: { getDeadline(): Deadline } | undefined): number | undefined {
  const deadline = call?.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}
