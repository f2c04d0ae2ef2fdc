// Owns budgets in money (used by the admin API and the admin CLI): rows in PostgreSQL, each written
// through to the limits hash in Redis the gateway admits requests against (the ledger's reconciler
// writes them again every run, so a Redis that lost them gets them back). A budget names its subject
// within the caller's tenant only: an API key or user of another tenant is "not found", like an id
// that does not exist. Nothing here touches the spent counters: spend is the gateway's and the
// ledger's to count.
import type { Budget, PrismaClient } from '@hearth/db';
import {
  budgetWindow,
  limitField,
  limitsKey,
  spentKey,
  type BudgetPeriod,
  type BudgetRef,
  type BudgetScope,
} from '@hearth/redis';

import type { Redis } from 'ioredis';

import { ApiError } from '../errors/api.error';
import { toUnixSeconds } from '../http/timestamps';
import type { BudgetObject, SetBudgetRequest } from './budgets.schemas';

export class BudgetsService {
  constructor(
    private readonly prisma: PrismaClient,
    /** Absent in the CLI without REDIS_URL: the ledger's reconciler then writes the limit (≤ its interval). */
    private readonly redis?: Redis,
  ) {}

  /** Creates the budget or replaces its amount (one budget per tenant, scope, subject and period). */
  async set(tenantId: string, body: SetBudgetRequest): Promise<BudgetObject> {
    const subjectId = await this.subject(tenantId, body.scope, body.subject_id);
    const limitMicros = BigInt(Math.round(body.amount.value * 1_000_000));
    const where = {
      tenantId_scope_subjectId_period: { tenantId, scope: body.scope, subjectId, period: body.period },
    };
    const budget = await this.prisma.budget.upsert({
      where,
      create: {
        tenantId,
        scope: body.scope,
        subjectId,
        period: body.period,
        limitMicros,
        currency: body.amount.currency,
      },
      update: { limitMicros, currency: body.amount.currency },
    });
    await this.redis?.hset(limitsKey(tenantId), limitField(refOf(budget)), limitMicros.toString());
    return this.toObject(budget);
  }

  async list(tenantId: string): Promise<BudgetObject[]> {
    const budgets = await this.prisma.budget.findMany({
      where: { tenantId },
      orderBy: [{ scope: 'asc' }, { subjectId: 'asc' }, { period: 'asc' }],
    });
    return Promise.all(budgets.map((budget) => this.toObject(budget)));
  }

  async get(tenantId: string, id: string): Promise<BudgetObject> {
    return this.toObject(await this.find(tenantId, id));
  }

  async delete(
    tenantId: string,
    id: string,
  ): Promise<{ object: 'organization.budget.deleted'; id: string; deleted: true }> {
    const budget = await this.find(tenantId, id);
    // Two deletes at once (a double click, a client's retry) both find it; the one that removes
    // nothing answers 404 as a later one would.
    const { count } = await this.prisma.budget.deleteMany({ where: { id: budget.id, tenantId } });
    if (count === 0) throw ApiError.notFound('budget', id);
    await this.redis?.hdel(limitsKey(tenantId), limitField(refOf(budget)));
    return { object: 'organization.budget.deleted', id: budget.id, deleted: true };
  }

  private async find(tenantId: string, id: string): Promise<Budget> {
    const budget = UUID.test(id) ? await this.prisma.budget.findFirst({ where: { id, tenantId } }) : null;
    if (!budget) throw ApiError.notFound('budget', id);
    return budget;
  }

  /** The subject id, checked to belong to the tenant. */
  private async subject(
    tenantId: string,
    scope: BudgetScope,
    subjectId: string | undefined,
  ): Promise<string> {
    if (scope === 'tenant') {
      if (subjectId !== undefined && subjectId !== tenantId)
        throw ApiError.badRequest(
          "A tenant budget applies to the caller's own tenant; omit subject_id.",
          'subject_id',
        );
      return tenantId;
    }
    const id = subjectId ?? '';
    const found =
      scope === 'api_key'
        ? await this.prisma.apiKey.findFirst({ where: { id, tenantId }, select: { id: true } })
        : await this.prisma.user.findFirst({ where: { id, tenantId }, select: { id: true } });
    if (!found)
      throw new ApiError(
        404,
        `No ${scope === 'api_key' ? 'API key' : 'user'} '${id}' in this organization.`,
        {
          code: 'not_found',
          param: 'subject_id',
        },
      );
    return found.id;
  }

  private async toObject(budget: Budget): Promise<BudgetObject> {
    const ref = refOf(budget);
    const window = budgetWindow(ref.period, new Date());
    const spent = (await this.redis?.get(spentKey(budget.tenantId, ref, window.id)).catch(() => null)) ?? '0';
    return {
      object: 'organization.budget',
      id: budget.id,
      scope: budget.scope,
      subject_id: budget.subjectId,
      period: budget.period,
      amount: { value: Number(budget.limitMicros) / 1_000_000, currency: budget.currency.toLowerCase() },
      limit_micros: Number(budget.limitMicros),
      spent_micros: Number(spent),
      window_start: toUnixSeconds(window.start),
      window_end: toUnixSeconds(window.end),
      created_at: toUnixSeconds(budget.createdAt),
      updated_at: toUnixSeconds(budget.updatedAt),
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refOf(budget: Pick<Budget, 'scope' | 'subjectId' | 'period'>): BudgetRef {
  return {
    scope: budget.scope as BudgetScope,
    subjectId: budget.subjectId,
    period: budget.period as BudgetPeriod,
  };
}
