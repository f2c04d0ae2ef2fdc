// Owns how many tokens a turn's prompt leaves free for the answer, from what the model gateway reports
// for the resolved model (ListModels): the request's max_tokens, else the model's default max_tokens
// (which is its output cap, or its whole context, when the registry sets none). Without a requested
// max_tokens the prompt still keeps at least half the context: a default as large as the context would
// otherwise leave no room for any history. The context service budgets the prompt with it.
import type { gatewayV1 } from '@hearth/contracts';

export function completionReserve(
  requestedMaxTokens: number | undefined,
  model: gatewayV1.ModelInfo | undefined,
): number {
  if (requestedMaxTokens !== undefined) return requestedMaxTokens;
  // Not listed (or ListModels failed): the gateway's Generate reports the model as the turn's error.
  if (!model) return 0;
  const byDefault = model.defaultMaxTokens || model.maxOutputTokens || model.contextLength;
  return model.contextLength > 0 ? Math.min(byDefault, Math.floor(model.contextLength / 2)) : byDefault;
}
