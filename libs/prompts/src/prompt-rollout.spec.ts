import { PromptCatalog } from './prompt-catalog';
import { promptRolloutSchema, PromptVariantSelector, UnknownPromptVariantError } from './prompt-rollout';

const catalog = PromptCatalog.load();
const rollout = (json: unknown) => promptRolloutSchema.parse(json);
const keys = Array.from({ length: 4000 }, (_, i) => `conversation-${i}`);

describe(PromptVariantSelector.name, () => {
  const experiment = {
    default: {
      rollout: 50,
      variants: [
        { name: 'cite-example', weight: 3, prompts: { grounding: 'grounding@v2' } },
        { name: 'concise', weight: 1, prompts: { system: 'concise@v1' } },
      ],
    },
  };

  it('serves control with the default prompts to a model without an experiment', () => {
    const sut = new PromptVariantSelector(rollout(experiment), catalog);
    expect(sut.select('fast', 'c1')).toEqual({
      variant: 'control',
      experiment: '',
      prompts: { grounding: 'grounding@v1' },
    });
  });

  it('is sticky: the same key gets the same variant every time', () => {
    const sut = new PromptVariantSelector(rollout(experiment), catalog);
    for (const key of keys.slice(0, 50))
      expect(sut.select('default', key)).toEqual(sut.select('default', key));
  });

  it('splits by the rollout percentage, then by weight', () => {
    const sut = new PromptVariantSelector(rollout(experiment), catalog);
    const counts = new Map<string, number>();
    for (const key of keys) {
      const variant = sut.select('default', key).variant;
      counts.set(variant, (counts.get(variant) ?? 0) + 1);
    }
    // 50% control, then 3:1 among the rest (37.5% / 12.5%), within a few points.
    expect((counts.get('control') ?? 0) / keys.length).toBeCloseTo(0.5, 1);
    expect((counts.get('cite-example') ?? 0) / keys.length).toBeCloseTo(0.375, 1);
    expect((counts.get('concise') ?? 0) / keys.length).toBeCloseTo(0.125, 1);
  });

  it('raising the rollout only moves conversations out of control', () => {
    const at = (percent: number) =>
      new PromptVariantSelector(rollout({ default: { ...experiment.default, rollout: percent } }), catalog);
    const low = at(10);
    const high = at(60);
    for (const key of keys) {
      const before = low.select('default', key).variant;
      if (before !== 'control') expect(high.select('default', key).variant).toBe(before);
    }
    expect(keys.every((key) => at(0).select('default', key).variant === 'control')).toBe(true);
    expect(keys.some((key) => at(100).select('default', key).variant === 'control')).toBe(false);
  });

  it('applies `*` to any model without its own entry, and merges the variant onto the defaults', () => {
    const sut = new PromptVariantSelector(rollout({ '*': experiment.default }), catalog);
    expect(sut.select('smollm2-135m-instruct', 'k', 'concise')).toEqual({
      variant: 'concise',
      experiment: '*',
      prompts: { grounding: 'grounding@v1', system: 'concise@v1' },
    });
  });

  it('honours a forced variant, control included, and refuses an unknown one', () => {
    const sut = new PromptVariantSelector(rollout(experiment), catalog);
    expect(sut.select('default', 'k', 'cite-example').prompts.grounding).toBe('grounding@v2');
    expect(sut.select('fast', 'k', 'control').variant).toBe('control');
    expect(() => sut.select('default', 'k', 'nope')).toThrow(UnknownPromptVariantError);
    expect(() => sut.select('fast', 'k', 'cite-example')).toThrow('not defined for model "fast"');
  });

  it('refuses a rollout naming a prompt file that does not exist', () => {
    const bad = rollout({
      default: { rollout: 5, variants: [{ name: 'b', prompts: { grounding: 'grounding@v9' } }] },
    });
    expect(() => new PromptVariantSelector(bad, catalog)).toThrow('default/b: no prompt file grounding@v9');
  });
});

describe('promptRolloutSchema', () => {
  it.each([
    [{ default: { rollout: 101, variants: [{ name: 'b', prompts: {} }] } }],
    [{ default: { rollout: 5, variants: [] } }],
    [{ default: { rollout: 5, variants: [{ name: 'control', prompts: {} }] } }],
    [{ default: { rollout: 5, variants: [{ name: 'b', prompts: { grounding: 'grounding-v2' } }] } }],
    [{ default: { rollout: 5, variants: [{ name: 'b', prompts: { tone: 'concise@v1' } }] } }],
    [
      {
        default: {
          rollout: 5,
          variants: [
            { name: 'b', prompts: {} },
            { name: 'b', prompts: {} },
          ],
        },
      },
    ],
  ])('refuses %j', (value) => {
    expect(promptRolloutSchema.safeParse(value).success).toBe(false);
  });
});
