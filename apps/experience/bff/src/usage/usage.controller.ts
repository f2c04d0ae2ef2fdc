// Usage and costs for tenant administrators (scope `admin`), shaped like OpenAI's organization usage
// and costs APIs: GET /v1/organization/usage/completions, /usage/embeddings and /v1/organization/costs.
// The organization is the caller's tenant.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { costsQuerySchema, usageQuerySchema, type CostsQuery, type UsageQuery } from './usage.schemas';
import { UsageService } from './usage.service';

@Controller('v1/organization')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class UsageController {
  constructor(@Inject(UsageService) private readonly usage: UsageService) {}

  @Get('usage/completions')
  completions(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(usageQuerySchema, 'query')) query: UsageQuery,
  ) {
    return this.usage.completions(caller, query);
  }

  @Get('usage/embeddings')
  embeddings(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(usageQuerySchema, 'query')) query: UsageQuery,
  ) {
    return this.usage.embeddings(caller, query);
  }

  @Get('costs')
  costs(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(costsQuerySchema, 'query')) query: CostsQuery,
  ) {
    return this.usage.costs(caller, query);
  }
}
