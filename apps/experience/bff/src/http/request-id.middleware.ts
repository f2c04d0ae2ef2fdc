// Gives every request its id before anything else runs: the client's X-Request-Id when it is a sane
// token, otherwise a new `req_…` id. It is echoed as x-request-id and travels to every upstream. The
// request's trace goes back with it: `traceparent` names the HTTP server span (which continued the
// client's own traceparent, if it sent one), so a client can find its request's trace.
import { randomUUID } from 'node:crypto';

import { context, propagation, trace } from '@opentelemetry/api';
import type { NextFunction, Response } from 'express';

import type { BffRequest } from './bff-request';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdMiddleware(req: BffRequest, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  req.requestId = given && CLIENT_ID.test(given) ? given : `req_${randomUUID().replace(/-/g, '')}`;
  res.setHeader('x-request-id', req.requestId);
  const span = trace.getActiveSpan();
  if (span && trace.isSpanContextValid(span.spanContext())) {
    span.setAttribute('hearth.request_id', req.requestId);
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    if (carrier['traceparent']) res.setHeader('traceparent', carrier['traceparent']);
  }
  next();
}
