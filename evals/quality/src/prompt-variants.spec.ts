import { PromptCatalog, PromptVariantSelector } from '@hearth/prompts';

import {
  EVAL_PROMPT_ROLLOUT,
  PROMPT_VARIANTS,
  promptVariant,
  variantHeaders,
  withVariant,
} from './prompt-variants';

describe(withVariant.name, () => {
  const messages = [
    { role: 'user', content: 'What time does the first ferry leave on weekdays?' },
    { role: 'assistant', content: 'At 6:40 am.' },
  ];

  it('sends the cases as written under the baseline variant', () => {
    expect(withVariant(PROMPT_VARIANTS.baseline, messages)).toEqual(messages);
  });

  it('puts the broken variant first as a system message and cuts the user words, not the others', () => {
    const sent = withVariant(PROMPT_VARIANTS.broken, messages);

    expect(sent[0]).toMatchObject({ role: 'system', content: expect.stringContaining('parrot') });
    expect(sent.slice(1)).toEqual([
      { role: 'user', content: 'What time does' },
      { role: 'assistant', content: 'At 6:40 am.' },
    ]);
  });

  it('rejects an unknown variant by name, listing the known ones', () => {
    expect(() => promptVariant('nope')).toThrow(
      'unknown prompt variant "nope" (known: baseline, broken, control, cite-example, concise)',
    );
  });

  it('names a server-side variant in the header only, leaving the messages as written', () => {
    const variant = promptVariant('cite-example');
    expect(withVariant(variant, messages)).toEqual(messages);
    expect(variantHeaders(variant)).toEqual({ 'Hearth-Prompt-Variant': 'cite-example' });
    expect(variantHeaders(PROMPT_VARIANTS.baseline)).toEqual({});
  });

  it("serves every server-side variant from the platform's prompt files", () => {
    const selector = new PromptVariantSelector(EVAL_PROMPT_ROLLOUT, PromptCatalog.load());
    expect(selector.select('smollm2-135m-instruct', 'c', 'cite-example').prompts.grounding).toBe(
      'grounding@v2',
    );
    expect(selector.select('gemma-3-270m', 'c', 'concise').prompts.system).toBe('concise@v1');
    expect(selector.select('gemma-3-270m', 'c').variant).toBe('control');
  });
});
