// Owns output safety for text released as a whole: structured output is held back while it streams
// (a half-written JSON document cannot be checked or shown), validated, then sent through the safety
// service's output stream in one piece. A stop replaces the answer with the refusal. Streamed text is
// checked as it comes, inside each model call (model-call.ts).
import { orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { SafetyClient } from '../clients/upstream.clients';
import type { TurnSafetyLog } from './turn-safety.log';
import { blockedOutcome, type TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';

const { SafetyStage } = orchestratorV1;

const DEFAULT_REFUSAL = 'The answer was withheld by the content policy.';

export interface OutputRelease {
  /** The text to send (placeholders restored, redactions applied). */
  text: string;
  /** Set when output safety stopped the answer: the turn ends with it. */
  blocked?: TurnOutcome;
}

export interface OutputGuard {
  /** Checks a held-back answer as a whole and sends what may be released. */
  release(
    text: string,
    placeholders: safetyV1.PlaceholderValue[],
    canaries: string[],
  ): Promise<OutputRelease>;
}

export class SafetyOutputGuard implements OutputGuard {
  constructor(
    private readonly scope: TurnScope,
    private readonly safety: Pick<SafetyClient, 'checkOutputStream'>,
    private readonly log: TurnSafetyLog,
  ) {}

  async release(
    text: string,
    placeholders: safetyV1.PlaceholderValue[],
    canaries: string[],
  ): Promise<OutputRelease> {
    const checked = await this.scope.trace.time('safety_out', () => this.check(text, placeholders, canaries));
    if (!checked.blocked) this.scope.emit({ content: { text: checked.text } });
    return checked;
  }

  private async check(
    text: string,
    placeholders: safetyV1.PlaceholderValue[],
    canaries: string[],
  ): Promise<OutputRelease> {
    const request = this.scope.turn.request;
    const response = await new Promise<safetyV1.CheckOutputStreamResponse[]>((resolve, reject) => {
      const stream = this.safety.checkOutputStream({ deadline: this.scope.stepDeadline() });
      const responses: safetyV1.CheckOutputStreamResponse[] = [];
      stream.on('data', (r: safetyV1.CheckOutputStreamResponse) => responses.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve(responses));
      stream.write({
        start: { caller: request.caller, requestId: request.requestId, canaries, placeholders },
      });
      stream.write({ delta: text });
      stream.write({ end: {} });
      stream.end();
    });
    const stop = response.find((r) => r.stop);
    for (const r of response)
      if (r.findings.length > 0 || r.stop)
        this.log.record(SafetyStage.SAFETY_STAGE_OUTPUT, r.decision, r.findings, r.policyVersion, true);
    if (stop) {
      const refusal = stop.refusalMessage || DEFAULT_REFUSAL;
      this.scope.emit({ content: { text: refusal } });
      return { text: '', blocked: blockedOutcome(refusal) };
    }
    return { text: response.map((r) => r.releasedText).join('') };
  }
}
