// The per-request state the BFF's middleware and guards attach to Express's request: the request id
// (echoed as x-request-id, carried to every upstream and log line) and, once authenticated, the caller.
import type { Request } from 'express';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';

export interface BffRequest extends Request {
  requestId: string;
  caller?: AuthenticatedCaller;
  /** Tokens charged up front by the rate limiter; settled against the real usage afterwards. */
  reservedTokens?: number;
}
