// GET /v1/organization/audit_logs for tenant administrators (scope `admin`): the tenant's audit trail,
// filterable by time, actor and action. There is deliberately no other method on it.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';

import { ApiKeyGuard, RequireScope } from '../auth/api-key.guard';
import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { auditQuerySchema, type AuditQuery } from './audit.schemas';
import { AuditService } from './audit.service';

@Controller('v1/organization/audit_logs')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  list(
    @CurrentCaller() caller: AuthenticatedCaller,
    @Query(new ZodValidationPipe(auditQuerySchema, 'query')) query: AuditQuery,
  ) {
    return this.audit.list(caller.tenantId, query);
  }
}
