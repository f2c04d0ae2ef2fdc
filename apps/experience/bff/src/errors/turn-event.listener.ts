// Owns what happens when handling one of a turn's events throws: grpc-js calls 'data' listeners from
// a process.nextTick callback, so an exception there would escape every request handler and could
// take the process (and every other client's request) down. It becomes this request's failure.
import type { Logger } from '@hearth/telemetry';

import { ApiError } from './api.error';

/** `listener`, with whatever it throws logged and turned into a 500 for this request only. */
export function guardedTurnListener<T>(
  listener: (event: T) => void,
  fail: (error: ApiError) => void,
  logger: Pick<Logger, 'error'>,
): (event: T) => void {
  return (event) => {
    try {
      listener(event);
    } catch (error) {
      logger.error({ err: error }, 'handling a turn event failed');
      fail(new ApiError(500, 'The turn could not be answered.', { code: 'internal_error' }));
    }
  };
}
