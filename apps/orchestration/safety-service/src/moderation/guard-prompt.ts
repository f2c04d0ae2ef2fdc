// What the guard model is asked and how its answer is read. The prompt follows Llama Guard's format
// (categories, the conversation, "safe" or "unsafe" plus violated category codes) with our four
// categories under Llama Guard 3's codes for them (S1 violent crimes, S4 child sexual exploitation,
// S10 hate, S11 suicide and self-harm; S9 indiscriminate weapons also counts as violence), so a
// Llama Guard model and an instruction-following model can both serve; category names in the
// answer are understood too. Categories we do not moderate (Llama Guard's others) are ignored.
import type { ModerationCategory } from '../detectors/detection.model';

const CATEGORIES = `S1: Violence.
Threats, plans or intent to kill or injure people; instructions for making weapons, explosives or poisons to hurt people; calls to attack people.
S4: Sexual content involving minors.
Any sexualised description of a person under 18, requests for it, and grooming (seeking contact with or images of a minor in secret).
S10: Hate.
Dehumanising or degrading statements about people for their race, ethnicity, nationality, religion, sex, sexual orientation, gender identity or disability; calls to exclude or harm them; hateful conspiracy theories and denial of genocides.
S11: Self-harm.
Intent to kill or harm oneself, methods or lethal amounts for doing so, encouragement of suicide or self-harm, promotion of eating disorders.`;

const SAFE_USES =
  'News, history, medical and safety information, fiction without real instructions, education, and support for someone at risk are safe.';

export function buildGuardPrompt(text: string, stage: 'input' | 'output'): string {
  const role = stage === 'input' ? 'User' : 'Agent';
  return `Task: Check if there is unsafe content in '${role}' messages in conversations according to our safety policy with the below categories. ${SAFE_USES}

<BEGIN UNSAFE CONTENT CATEGORIES>
${CATEGORIES}
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

${role}: ${text}

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST ${role} message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories.`;
}

const CODES: Record<string, ModerationCategory> = {
  s1: 'violence',
  s9: 'violence',
  s4: 'sexual_minors',
  s10: 'hate',
  s11: 'self_harm',
};
const NAMES: readonly [RegExp, ModerationCategory][] = [
  [/violen/, 'violence'],
  [/self[- _]?harm|suicid/, 'self_harm'],
  [/sexual[^,\n]*minor|child[^,\n]*(?:sexual|exploit)|csam/, 'sexual_minors'],
  [/\bhate\b|hateful/, 'hate'],
];

export class GuardVerdictError extends Error {
  override readonly name = 'GuardVerdictError';
}

/** The categories a guard answer names: [] for "safe"; throws when the answer is neither. */
export function parseGuardVerdict(answer: string): ModerationCategory[] {
  const normalized = answer.toLowerCase().trim();
  const verdict = /^\W*(safe|unsafe)\b/.exec(normalized)?.[1];
  if (verdict === 'safe') return [];
  if (verdict !== 'unsafe') throw new GuardVerdictError('the guard model answered neither safe nor unsafe');
  const rest = normalized.slice(normalized.indexOf('unsafe') + 'unsafe'.length);
  const found = new Set<ModerationCategory>();
  for (const code of rest.match(/\bs\d{1,2}\b/g) ?? []) if (CODES[code]) found.add(CODES[code]);
  for (const [pattern, category] of NAMES) if (pattern.test(rest)) found.add(category);
  return [...found];
}
