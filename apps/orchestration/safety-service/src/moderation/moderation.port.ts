// The moderation port: which harmful-content categories (violence, self-harm, sexual content
// involving minors, hate) a text belongs to. Two adapters: the rule-based moderator (default) and a
// guard model reached through the model gateway (when SAFETY_GUARD_MODEL is set), which falls back
// to the rules for any text it cannot judge. Policies decide what each category causes.
import type { Detection } from '../detectors/detection.model';

export const MODERATION_PORT = Symbol('MODERATION_PORT');

export interface ModerationContext {
  /** Who the texts are for: a guard model call is metered to this caller. */
  readonly caller: { readonly tenantId: string; readonly userId: string; readonly apiKeyId: string };
  /** The originating request; guard calls derive their ids from it, so a retried check is charged once. */
  readonly requestId: string;
  /** A user's input or the model's output (the guard is told whose message it judges). */
  readonly stage: 'input' | 'output';
}

export interface ModerationPort {
  /** `rules`, or `guard` when a guard model judges whole texts. */
  readonly kind: 'rules' | 'guard';
  /**
   * Harmful-content detections of each text, in order; spans index that text. Never rejects: an
   * adapter that cannot judge a text degrades (the guard to the rules) and says so in its logs.
   */
  moderate(texts: readonly string[], context: ModerationContext): Promise<Detection[][]>;
}
