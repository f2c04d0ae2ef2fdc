// Owns the deadline every outbound call to the infrastructure runs under (Kafka, PostgreSQL and
// Redis at start-up). A client's per-request timeouts do not bound a call that chains many requests
// (metadata, reconnects, retries); cockatiel's aggressive timeout caps the whole call, so no await
// here is ever unbounded.
import { TaskCancelledError, timeout, TimeoutStrategy } from 'cockatiel';

export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
}

export async function withDeadline<T>(
  ms: number,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await timeout(ms, TimeoutStrategy.Aggressive).execute(({ signal: inner }) => fn(inner), signal);
  } catch (error) {
    if (error instanceof TaskCancelledError) {
      throw new DeadlineExceededError(`${what} did not finish within ${ms} ms`, { cause: error });
    }
    throw error;
  }
}
