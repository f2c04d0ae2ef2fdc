// Owns recognising the errors ioredis raises when Redis cannot be reached (down, restarting, hung
// past the command timeout), as opposed to a command Redis refused: callers that need Redis answer
// those with a retryable "unavailable" instead of an internal error.
const UNAVAILABLE_MESSAGES =
  /Connection is closed|Command timed out|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/;

export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || UNAVAILABLE_MESSAGES.test(error.message);
}
