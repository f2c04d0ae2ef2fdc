// Owns what a service knows about the request it is serving while it calls others: the request id
// that arrived in the incoming call's metadata (set by the BFF for every public request). The server
// interceptor opens the scope around each handler; the client's request-id interceptor copies it onto
// every outgoing call made inside it, so one request id follows a request across every hop.
import { AsyncLocalStorage } from 'node:async_hooks';

import type { Metadata } from '@grpc/grpc-js';

/** Metadata key of the request id (the BFF also echoes it to HTTP clients as `x-request-id`). */
export const REQUEST_ID_KEY = 'x-request-id';
/** Metadata key of the client's idempotency key, where a call carries one. */
export const IDEMPOTENCY_KEY = 'idempotency-key';

/** Longest request id taken from metadata; anything longer is not propagated (it is not ours). */
const MAX_REQUEST_ID_LENGTH = 200;

export interface RequestScope {
  readonly requestId?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being served, or an empty one outside any. */
export function currentRequestScope(): RequestScope {
  return storage.getStore() ?? {};
}

/** Runs `fn` inside `scope`; calls made from it (and from what it awaits) carry its request id. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The request id an incoming call carries, if it is a plausible one. */
export function requestIdOf(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get(REQUEST_ID_KEY)[0];
  return typeof value === 'string' && value !== '' && value.length <= MAX_REQUEST_ID_LENGTH
    ? value
    : undefined;
}
