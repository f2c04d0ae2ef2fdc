// Route parameter decorators for what ApiKeyGuard and the request-id middleware attached.
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

import type { BffRequest } from '../http/bff-request';
import type { AuthenticatedCaller } from './authenticated-caller';

export const CurrentCaller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthenticatedCaller => {
    const caller = ctx.switchToHttp().getRequest<BffRequest>().caller;
    if (!caller) throw new Error('CurrentCaller used on a route without ApiKeyGuard');
    return caller;
  },
);

export const RequestId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<BffRequest>().requestId,
);
