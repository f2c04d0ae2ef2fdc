// Owns retrying unary rpcs that are safe to repeat: only the methods a client declares idempotent,
// only on UNAVAILABLE (the call did not reach a server that could answer it, or the server said to go
// elsewhere: nothing was done), with capped exponential backoff, never past the call's deadline.
// Other codes are answers, and repeating a call that may have had an effect is the caller's decision.
import { status } from '@grpc/grpc-js';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';

import { GrpcError } from '../errors/grpc-error';

export interface GrpcRetryPolicy<Method> {
  /** Idempotent unary rpcs that may be retried. */
  readonly methods: readonly Method[];
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /** First backoff (default 50 ms); it doubles with jitter up to maxDelayMs (default 1 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Runs `attempt` until it succeeds, fails otherwise, or the deadline leaves no time for another. */
export type RetryRunner = <T>(deadline: number, attempt: () => Promise<T>) => Promise<T>;

export function unaryRetryPolicy(policy: GrpcRetryPolicy<unknown>): RetryRunner {
  const initialDelay = policy.initialDelayMs ?? 50;
  const maxDelay = policy.maxDelayMs ?? 1_000;
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 3);
  return <T>(deadline: number, attempt: () => Promise<T>) =>
    retry(
      handleWhen(
        (error) =>
          error instanceof GrpcError &&
          error.code === status.UNAVAILABLE &&
          Date.now() + initialDelay < deadline,
      ),
      { maxAttempts: maxAttempts - 1, backoff: new ExponentialBackoff({ initialDelay, maxDelay }) },
    ).execute(() => attempt());
}
