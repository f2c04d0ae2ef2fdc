// The server-side hook point: every call of every controller passes each hook once at its start and
// once at its end with the status code it ended with. The observability work hangs server spans and
// RED metrics (rate, errors, duration per method) here.
import type { Metadata, status } from '@grpc/grpc-js';

export interface GrpcServerCallInfo {
  /** `/package.Service/Method`, as grpc-js names the call. */
  readonly path: string;
  readonly metadata: Metadata;
  /** The request id the call carried, if any. */
  readonly requestId?: string;
}

export interface GrpcServerCallOutcome {
  /** OK, the status the exception filter sends, or CANCELLED when the client went away first. */
  readonly code: status;
  readonly error?: unknown;
}

export interface GrpcServerHook {
  /** At the call's start; the function returned (if any) runs once when it ends. */
  onCall(call: GrpcServerCallInfo): ((outcome: GrpcServerCallOutcome) => void) | void;
}
