// Gives every request its id before anything else runs: the client's X-Request-Id when it is a sane
// token, otherwise a new `req_…` id. It is echoed as x-request-id and travels to every upstream.
import { randomUUID } from 'node:crypto';

import type { NextFunction, Response } from 'express';

import type { BffRequest } from './bff-request';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdMiddleware(req: BffRequest, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  req.requestId = given && CLIENT_ID.test(given) ? given : `req_${randomUUID().replace(/-/g, '')}`;
  res.setHeader('x-request-id', req.requestId);
  next();
}
