import { policyWith, strictPolicy } from '../../test/policy.fixtures';
import { OutputStreamSession, type StreamStep } from './output-stream.session';
import { SafetyEngine } from './safety.engine';

const engine = new SafetyEngine();
const CANARY = 'hc-feedfacecafebeef0042';
const KEY = 'sk-proj-Q9v2Lm8Xc4Tb7Rn1Wz5Ky3Hd6Fs0Jp2A';

/** Feeds deltas until the session stops; returns every step, the end step included when reached. */
function run(sut: OutputStreamSession, deltas: readonly string[]): StreamStep[] {
  const steps: StreamStep[] = [];
  for (const delta of deltas) {
    const step = sut.push(delta);
    steps.push(step);
    if (step.stop) return steps;
  }
  steps.push(sut.end());
  return steps;
}

const released = (steps: readonly StreamStep[]) => steps.map((s) => s.releasedText).join('');
const chunks = (text: string, size: number) => text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) as string[];

describe(OutputStreamSession.name, () => {
  const redactingSecrets = policyWith({
    'secrets: { action: block, refusal: "Secret refusal." }': 'secrets: { action: redact }',
  });

  it('releases clean text unchanged', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
    const sut = new OutputStreamSession(engine, strictPolicy(), [CANARY]);
    const steps = run(sut, chunks(text, 9));
    expect(released(steps)).toBe(text);
    expect(steps.every((s) => s.decision === 'allowed' && !s.stop)).toBe(true);
  });

  it.each([3, 7, 16])(
    'redacts a secret split across %i-character deltas exactly as a whole-text check would',
    (size) => {
      const text = `Use ${KEY} in the config, then restart the worker and watch the logs for a minute or two.`;
      const sut = new OutputStreamSession(engine, redactingSecrets, []);
      const steps = run(sut, chunks(text, size));
      expect(released(steps)).toBe(engine.checkOutput(redactingSecrets, text, []).redactedText);
      expect(released(steps)).not.toContain('sk-proj');
      expect(steps.flatMap((s) => s.placeholders)).toEqual([{ placeholder: '[API_KEY_1]', original: KEY }]);
      expect(steps[steps.length - 1].decision).toBe('redacted');
    },
  );

  it('stops at the delta that completes a canary split across deltas, releasing none of it', () => {
    const deltas = [
      'Happy to help. ',
      'Here is a long enough answer to release a little of it before ',
      'the marker hc-feed',
      'facecafe',
      'beef0042 appears',
      ' and this never arrives',
    ];
    const sut = new OutputStreamSession(engine, strictPolicy(), [CANARY]);
    const steps = run(sut, deltas);
    expect(steps).toHaveLength(5);
    const last = steps[4];
    expect(last).toMatchObject({
      stop: true,
      decision: 'blocked_output',
      releasedText: '',
      refusal: 'Default refusal.',
    });
    expect(last.findings.map((f) => f.ruleId)).toEqual(['leak.system_prompt_canary']);
    const full = deltas.slice(0, 5).join('');
    expect(full.slice(last.findings[0].start, last.findings[0].end)).toBe(CANARY);
    expect(released(steps)).not.toMatch(/hc-|feed/);
    expect(sut.push('more').releasedText).toBe('');
  });

  it('stops on a blocked secret before releasing it', () => {
    const sut = new OutputStreamSession(engine, strictPolicy(), []);
    const steps = run(sut, ['Your token is ', KEY.slice(0, 10), KEY.slice(10), ' ok']);
    expect(steps[steps.length - 1]).toMatchObject({ stop: true, refusal: 'Secret refusal.' });
    expect(released(steps)).not.toContain('sk-');
  });

  it('indexes finding spans over the whole output and reports each finding once', () => {
    const text = `${'filler words here. '.repeat(8)}mail ada@example.org now and then more words to flush it.`;
    const sut = new OutputStreamSession(engine, strictPolicy(), []);
    const findings = run(sut, chunks(text, 5)).flatMap((s) => s.findings);
    expect(findings).toHaveLength(1);
    expect(text.slice(findings[0].start, findings[0].end)).toBe('ada@example.org');
  });

  it('reuses the placeholders the input check handed out', () => {
    const sut = new OutputStreamSession(
      engine,
      strictPolicy(),
      [],
      [{ placeholder: '[EMAIL_1]', original: 'ada@example.org' }],
    );
    expect(released(run(sut, ['write to ada@', 'example.org or bo', 'b@example.org'])).trim()).toBe(
      'write to [EMAIL_1] or [EMAIL_2]',
    );
  });

  it('releases plain prose word by word, as soon as each word is finished', () => {
    const sut = new OutputStreamSession(engine, strictPolicy(), [CANARY]);
    expect(sut.push('The').releasedText).toBe('');
    expect(sut.push(' capital').releasedText).toBe('The ');
    expect(sut.push(' of France, "Paris".').releasedText).toBe('capital of France, ');
    expect(sut.end().releasedText).toBe('"Paris".');
  });

  it.each([
    ['a card number', 'Pay with 4111 1111 1111 1111 today please', 'Pay with [CARD_1] today please'],
    ['a phone number', 'Call me at +1 415 555 0100 tomorrow', 'Call me at [PHONE_1] tomorrow'],
    ['an IBAN', 'Send it to DE89 3704 0044 0532 0130 00 now', 'Send it to [IBAN_1] now'],
  ])('holds back words that may begin %s until the value is whole, word by word', (_, text, expected) => {
    const policy = strictPolicy();
    const sut = new OutputStreamSession(engine, policy, []);
    const steps = run(sut, text.split(/(?<=\s)/));
    expect(released(steps)).toBe(engine.checkOutput(policy, text, []).redactedText);
    expect(released(steps)).toBe(expected);
  });

  it('handles an empty stream and empty deltas', () => {
    const sut = new OutputStreamSession(engine, strictPolicy(), []);
    expect(run(sut, ['', '', ''])).toHaveLength(4);
    expect(sut.end().releasedText).toBe('');
  });
});
