// Owns how a request's cost reaches its caller. A non-streamed answer carries it in response headers:
// the cost in integer millionths of the currency unit (exact, summable) and the currency. A stream's
// headers leave before its cost is known (and HTTP trailers reach neither browsers nor SDKs), so a
// stream carries it as `hearth_cost` on its usage chunk (stream_options.include_usage). The figure is
// the one the gateway priced and metered, the same that reaches the ledger.
import type { commonV1 } from '@hearth/contracts';

import type { Response } from 'express';

export const COST_MICROS_HEADER = 'x-hearth-cost-micros';
export const COST_CURRENCY_HEADER = 'x-hearth-cost-currency';

/** Extension on a stream's usage chunk. */
export interface HearthCost {
  /** Millionths of the currency unit. */
  amount_micros: number;
  /** Lowercase ISO 4217, as OpenAI's costs API writes it. */
  currency: string;
}

export function toHearthCost(usage: commonV1.Usage | null | undefined): HearthCost | undefined {
  if (usage?.costMicros == null) return undefined;
  return { amount_micros: usage.costMicros, currency: (usage.currency || 'USD').toLowerCase() };
}

/** Sets the cost headers when the usage was priced (a turn that reached no model sets none). */
export function setCostHeaders(res: Response, usage: commonV1.Usage | null | undefined): void {
  const cost = toHearthCost(usage);
  if (!cost || res.headersSent) return;
  res.setHeader(COST_MICROS_HEADER, String(cost.amount_micros));
  res.setHeader(COST_CURRENCY_HEADER, cost.currency);
}
