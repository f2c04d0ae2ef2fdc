// Usage for tenant administrators (scope `admin`), shaped like OpenAI's organization usage API:
// GET /v1/organization/usage/completions. The organization is the caller's tenant.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { usageQuerySchema, type UsageQuery } from './usage.schemas';
import { UsageService } from './usage.service';

@Controller('v1/organization/usage')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class UsageController {
  constructor(@Inject(UsageService) private readonly usage: UsageService) {}

  @Get('completions')
  completions(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(usageQuerySchema, 'query')) query: UsageQuery,
  ) {
    return this.usage.completions(caller, query);
  }
}
