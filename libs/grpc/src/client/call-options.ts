// Owns turning a call's options into what grpc-js takes: the absolute deadline (the earlier of an
// absolute deadline and a relative timeout, else the client's default, so no call is unbounded), the
// outgoing metadata (trace context of the active span, request id, idempotency key) and the link
// from an AbortSignal to the call's cancellation.
import { injectIntoGrpcMetadata } from '@hearth/telemetry';

import { Metadata } from '@grpc/grpc-js';

import { IDEMPOTENCY_KEY, REQUEST_ID_KEY } from '../context/request-scope';
import type { GrpcCallOptions } from './grpc-client.types';

/** Epoch ms by which the call must finish. */
export function resolveDeadline(options: GrpcCallOptions, defaultTimeoutMs: number): number {
  const absolute = options.deadline instanceof Date ? options.deadline.getTime() : options.deadline;
  const relative = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  if (absolute === undefined && relative === undefined) return Date.now() + defaultTimeoutMs;
  return Math.min(absolute ?? Infinity, relative ?? Infinity);
}

/** Fresh metadata for one attempt of a call (grpc-js interceptors may add to it). */
export function outgoingMetadata(options: GrpcCallOptions): Metadata {
  const metadata = injectIntoGrpcMetadata(options.metadata?.clone() ?? new Metadata());
  if (options.requestId) metadata.set(REQUEST_ID_KEY, options.requestId);
  if (options.idempotencyKey) metadata.set(IDEMPOTENCY_KEY, options.idempotencyKey);
  return metadata;
}

/**
 * Runs `cancel` when `signal` aborts (on the next turn if it already has, so the caller can attach its
 * listeners first); returns the function that detaches it once the call has ended.
 */
export function whenAborted(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    setImmediate(cancel);
    return () => undefined;
  }
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}
