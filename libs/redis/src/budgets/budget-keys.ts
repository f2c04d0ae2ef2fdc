// Owns the Redis layout of budgets in money, shared by the services that touch it: the model gateway
// (reserves and settles), the admin API/CLI (writes limits) and the ledger (syncs limits from
// PostgreSQL, reconciles counters with the usage ledger). Every key of a tenant shares one hash tag,
// so the scripts run on Redis Cluster too.
//
//   budget:{T}:limits                       HASH  <scope>:<subject>:<period> → limit (micro-units)
//   budget:{T}:spent:<scope>:<subject>:<w>  STRING settled cost in window w (d2026-12-07, m2026-12)
//   budget:{T}:holds:<scope>:<subject>:<w>  HASH  request id → "<reserved>:<expires at ms>"
//   budget:{T}:settled:<request id>         STRING marker: a request settles once
export const BUDGET_SCOPES = ['tenant', 'api_key', 'user'] as const;
export const BUDGET_PERIODS = ['daily', 'monthly'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** Who pays for a request: its tenant, its API key and (when the key acts for one) its user. */
export interface BudgetPayer {
  tenantId: string;
  apiKeyId: string;
  userId?: string;
}

/** One budget a request counts toward (whether or not a limit is set on it). */
export interface BudgetRef {
  scope: BudgetScope;
  subjectId: string;
  period: BudgetPeriod;
}

export interface BudgetWindow {
  /** d2026-12-07 or m2026-12 */
  id: string;
  start: Date;
  /** Exclusive. */
  end: Date;
}

/** Counters outlive their window by this much, so the reconciler can still read a closing window. */
export const WINDOW_GRACE_MS = 2 * 86_400_000;

export function budgetWindow(period: BudgetPeriod, at: Date): BudgetWindow {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (period === 'monthly') {
    return {
      id: `m${at.toISOString().slice(0, 7)}`,
      start: new Date(Date.UTC(y, m, 1)),
      end: new Date(Date.UTC(y, m + 1, 1)),
    };
  }
  const d = at.getUTCDate();
  return {
    id: `d${at.toISOString().slice(0, 10)}`,
    start: new Date(Date.UTC(y, m, d)),
    end: new Date(Date.UTC(y, m, d + 1)),
  };
}

/** The budgets a request counts toward: tenant, key and user, daily and monthly; each once. */
export function budgetsOf(payer: BudgetPayer): BudgetRef[] {
  const subjects: Array<[BudgetScope, string]> = [
    ['tenant', payer.tenantId],
    ['api_key', payer.apiKeyId],
  ];
  if (payer.userId) subjects.push(['user', payer.userId]);
  return subjects.flatMap(([scope, subjectId]) =>
    BUDGET_PERIODS.map((period) => ({ scope, subjectId, period })),
  );
}

export function limitsKey(tenantId: string): string {
  return `budget:{${tenantId}}:limits`;
}

export function limitField(ref: BudgetRef): string {
  return `${ref.scope}:${ref.subjectId}:${ref.period}`;
}

export function spentKey(tenantId: string, ref: BudgetRef, windowId: string): string {
  return `budget:{${tenantId}}:spent:${ref.scope}:${ref.subjectId}:${windowId}`;
}

export function holdsKey(tenantId: string, ref: BudgetRef, windowId: string): string {
  return `budget:{${tenantId}}:holds:${ref.scope}:${ref.subjectId}:${windowId}`;
}

export function settledKey(tenantId: string, requestId: string): string {
  return `budget:{${tenantId}}:settled:${requestId}`;
}

/** A budget's name in messages and metrics, e.g. "monthly budget of API key 0b5e…". */
export function describeBudget(ref: BudgetRef): string {
  const who = ref.scope === 'tenant' ? 'tenant' : ref.scope === 'api_key' ? 'API key' : 'user';
  return `${ref.period} budget of ${who} ${ref.subjectId}`;
}
