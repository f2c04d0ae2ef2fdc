// Rule ids of the model-backed moderation adapter (a guard model behind the gateway), one per
// category; kept apart from the adapter so policies can name them without importing gRPC code.
import { MODERATION_CATEGORIES } from './moderation.rules';

export const GUARD_MODERATION_IDS = MODERATION_CATEGORIES.map((c) => `moderation.guard.${c}` as const);
