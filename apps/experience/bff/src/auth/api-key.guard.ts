// The guard on every /v1 route: refuses addresses with too many failed authentications (429),
// authenticates the API key (a 401 counts against the address), checks the route's scope, and takes the
// request (and an estimate of its tokens) from the key's rate-limit buckets. The x-ratelimit-*
// headers are set here, so every authenticated response carries them, errors included.
import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';

import { ApiError } from '../errors/api.error';
import type { BffRequest } from '../http/bff-request';
import { AuthFailureLimiter } from '../ratelimit/auth-failure.limiter';
import { RateLimiterService } from '../ratelimit/rate-limiter.service';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import type { Scope } from './authenticated-caller';

const SCOPE_KEY = 'bff:scope';
/** Tokens assumed for a completion that names no max_tokens (corrected after the turn). */
const DEFAULT_COMPLETION_ESTIMATE = 256;

/** The scope a route needs. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    // Explicit token: tsx (esbuild) emits no decorator metadata, so type-based injection would fail.
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(RateLimiterService) private readonly limiter: RateLimiterService,
    @Inject(AuthFailureLimiter) private readonly authFailures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!scope) return true;
    const req = context.switchToHttp().getRequest<BffRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    await this.authFailures.check(address);
    const caller = await this.authenticator
      .authenticate(req.headers.authorization)
      .catch(async (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) await this.authFailures.record(address);
        throw error;
      });
    req.caller = caller;
    if (!caller.scopes.has(scope)) throw ApiError.forbidden(scope);
    const tokens = estimateTokens(req);
    req.reservedTokens = tokens;
    const headers = await this.limiter.take(caller, tokens).catch((error: unknown) => {
      if (error instanceof ApiError) for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
      throw error;
    });
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    return true;
  }
}

/**
 * A cheap upper-bound-ish estimate of the tokens a request will use, known before it runs: about
 * 4 bytes per prompt token plus the completion budget. Settled against real usage afterwards.
 */
function estimateTokens(req: BffRequest): number {
  if (req.method !== 'POST' || typeof req.body !== 'object' || req.body === null) return 0;
  const body = req.body as Record<string, unknown>;
  const prompt = Math.ceil(JSON.stringify(body).length / 4);
  // A generating request also reserves its completion budget (chat's max tokens, a response's output).
  const completionFields = req.path.endsWith('/chat/completions')
    ? ['max_completion_tokens', 'max_tokens']
    : req.path.endsWith('/responses')
      ? ['max_output_tokens']
      : undefined;
  if (!completionFields) return prompt;
  const max = completionFields.map((field) => body[field]).find((value) => value != null);
  return prompt + (typeof max === 'number' && max > 0 ? max : DEFAULT_COMPLETION_ESTIMATE);
}
