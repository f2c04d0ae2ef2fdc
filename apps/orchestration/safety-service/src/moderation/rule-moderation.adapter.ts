// The default moderation adapter: the rule-based moderator (detectors/moderation), in process.
import type { Detection } from '../detectors/detection.model';
import { RuleModerator } from '../detectors/moderation/moderation.rules';
import type { ModerationPort } from './moderation.port';

export class RuleModerationAdapter implements ModerationPort {
  readonly kind = 'rules';
  private readonly rules = new RuleModerator();

  moderate(texts: readonly string[]): Promise<Detection[][]> {
    return Promise.resolve(texts.map((text) => this.detect(text)));
  }

  /** Synchronous, for callers that cannot wait (the streaming check's windows). */
  detect(text: string): Detection[] {
    return this.rules.detect(text);
  }
}
