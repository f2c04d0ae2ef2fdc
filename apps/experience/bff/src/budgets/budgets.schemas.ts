// Request and response shapes of the budgets admin API (an extension: OpenAI has no budgets API).
// Amounts use the shape of OpenAI's costs API (`{ value, currency }`, lowercase ISO 4217).
import { BUDGET_PERIODS, BUDGET_SCOPES } from '@hearth/redis';

import { z } from 'zod';

/** The largest budget whose micro-units stay exact in a JSON number (and in Redis' Lua). */
export const MAX_BUDGET_VALUE = 9_000_000_000;

export const budgetAmountSchema = z.strictObject({
  value: z
    .number()
    .nonnegative('must not be negative')
    .max(MAX_BUDGET_VALUE)
    .refine((value) => Math.abs(value * 1e6 - Math.round(value * 1e6)) < 1e-6, 'at most six decimals'),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code such as usd')
    .transform((code) => code.toUpperCase())
    .default('USD'),
});

export const setBudgetSchema = z
  .strictObject({
    scope: z.enum(BUDGET_SCOPES),
    /** The API key or user id; omitted (or the tenant's own id) for scope tenant. */
    subject_id: z.uuid().optional(),
    period: z.enum(BUDGET_PERIODS),
    amount: budgetAmountSchema,
  })
  .refine((body) => body.scope === 'tenant' || body.subject_id !== undefined, {
    path: ['subject_id'],
    message: 'required for scope api_key and user',
  });

export type SetBudgetRequest = z.output<typeof setBudgetSchema>;

export interface BudgetObject {
  object: 'organization.budget';
  id: string;
  scope: string;
  subject_id: string;
  period: string;
  amount: { value: number; currency: string };
  limit_micros: number;
  /** Settled spend in the current window, as the live counter has it. */
  spent_micros: number;
  /** The current window (unix seconds; end exclusive). */
  window_start: number;
  window_end: number;
  created_at: number;
  updated_at: number;
}
