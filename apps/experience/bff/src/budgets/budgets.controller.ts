// Budgets in money for tenant administrators (scope `admin`), an extension next to OpenAI's
// organization APIs: GET/POST /v1/organization/budgets, GET/DELETE /v1/organization/budgets/{id}.
// The organization is the caller's tenant; a budget of another tenant is a 404.
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { setBudgetSchema, type SetBudgetRequest } from './budgets.schemas';
import { BudgetsService } from './budgets.service';

@Controller('v1/organization/budgets')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class BudgetsController {
  constructor(@Inject(BudgetsService) private readonly budgets: BudgetsService) {}

  @Get()
  async list(@CurrentCaller() caller: AuthenticatedCaller) {
    return { object: 'list', data: await this.budgets.list(caller.tenantId) };
  }

  @Post()
  @HttpCode(200)
  set(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Body(new ZodValidationPipe(setBudgetSchema)) body: SetBudgetRequest,
  ) {
    return this.budgets.set(caller.tenantId, body);
  }

  @Get(':id')
  get(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.budgets.get(caller.tenantId, id);
  }

  @Delete(':id')
  delete(@CurrentCaller() caller: AuthenticatedCaller, @Param('id') id: string) {
    return this.budgets.delete(caller.tenantId, id);
  }
}
