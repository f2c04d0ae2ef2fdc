// Owns which prompt versions serve a turn. The platform's prompts for a turn fill slots: `grounding`
// (the instruction of a grounded turn, grounding@v1 unless a variant says otherwise) and `system` (an
// optional system message put first in every turn; none by default). A rollout configures, per model
// alias as requested (or `*` for any model without its own entry), an experiment: the share of
// traffic it takes (`rollout`, percent) and its variants with weights. Assignment is sticky: a hash
// of the alias and the conversation id (the request id for a stateless turn) picks whether the turn
// is in the rollout and which variant by weight, so a conversation keeps its variant on every turn
// and replica, and raising the percentage only moves conversations from `control` into the rollout.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { isPromptRef, type PromptCatalog, type PromptRef } from './prompt-catalog';

/** The variant of every turn outside an experiment's rollout: the default prompts. */
export const CONTROL_VARIANT = 'control';
/** The experiment key that applies to any requested model without an entry of its own. */
export const ANY_MODEL = '*';

export const PROMPT_SLOTS = ['grounding', 'system'] as const;
export type PromptSlot = (typeof PROMPT_SLOTS)[number];
export type PromptSet = Partial<Record<PromptSlot, PromptRef>>;

/** What `control` serves. */
export const DEFAULT_PROMPTS: Readonly<PromptSet> = { grounding: 'grounding@v1' };

const promptRef = z.string().refine(isPromptRef, 'expected <id>@v<version>, e.g. grounding@v2');

const variantSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes (at most 32)')
      .refine((name) => name !== CONTROL_VARIANT, `"${CONTROL_VARIANT}" names the default prompts`),
    weight: z.number().int().positive().default(1),
    prompts: z.object({ grounding: promptRef.optional(), system: promptRef.optional() }).strict(),
  })
  .strict();

const experimentSchema = z
  .object({
    /** Percent of conversations (0-100) in the rollout; the others get `control`. */
    rollout: z.number().min(0).max(100),
    variants: z.array(variantSchema).min(1),
  })
  .strict()
  .refine((e) => new Set(e.variants.map((v) => v.name)).size === e.variants.length, {
    message: 'variant names must be unique within an alias',
  });

/** The rollout configuration: model alias (as requested) or `*` → experiment. */
export const promptRolloutSchema = z.record(z.string().min(1), experimentSchema);
export type PromptRollout = z.output<typeof promptRolloutSchema>;

/** The prompts a turn is served with, and which variant of which experiment chose them. */
export interface PromptSelection {
  /** The variant's name, or `control`. */
  readonly variant: string;
  /** The experiment's key (the alias, or `*`); empty when the model has no experiment. */
  readonly experiment: string;
  readonly prompts: Readonly<PromptSet>;
}

/** A request named a variant its model's experiment does not define. */
export class UnknownPromptVariantError extends Error {}

export class PromptVariantSelector {
  constructor(
    private readonly rollout: PromptRollout,
    catalog: PromptCatalog,
  ) {
    const missing = Object.entries(rollout).flatMap(([alias, experiment]) =>
      experiment.variants.flatMap((variant) =>
        Object.values(variant.prompts)
          .filter((ref) => !catalog.has(ref))
          .map((ref) => `${alias}/${variant.name}: no prompt file ${ref}`),
      ),
    );
    if (missing.length > 0) throw new Error(`prompt rollout names unknown prompts: ${missing.join('; ')}`);
  }

  /**
   * The prompts for a turn of `model`. `stickyKey`: the conversation id, or the request id of a
   * stateless turn. `forced`: a variant the request names (evaluation, support), which skips the
   * assignment; `control` is always allowed.
   */
  select(model: string, stickyKey: string, forced = ''): PromptSelection {
    const experimentKey = this.rollout[model] ? model : this.rollout[ANY_MODEL] ? ANY_MODEL : '';
    const experiment = experimentKey ? this.rollout[experimentKey] : undefined;
    const control = { variant: CONTROL_VARIANT, experiment: experimentKey, prompts: DEFAULT_PROMPTS };
    if (forced) {
      if (forced === CONTROL_VARIANT) return control;
      const named = experiment?.variants.find((v) => v.name === forced);
      if (!named)
        throw new UnknownPromptVariantError(
          `prompt variant "${forced}" is not defined for model "${model}" (defined: ${[
            CONTROL_VARIANT,
            ...(experiment?.variants.map((v) => v.name) ?? []),
          ].join(', ')})`,
        );
      return {
        variant: named.name,
        experiment: experimentKey,
        prompts: { ...DEFAULT_PROMPTS, ...named.prompts },
      };
    }
    if (!experiment || unitHash(`${experimentKey}\0${stickyKey}`) * 100 >= experiment.rollout) return control;
    const total = experiment.variants.reduce((sum, v) => sum + v.weight, 0);
    let point = unitHash(`${experimentKey}\0${stickyKey}\0variant`) * total;
    const chosen =
      experiment.variants.find((v) => (point -= v.weight) < 0) ??
      (experiment.variants[experiment.variants.length - 1] as (typeof experiment.variants)[number]);
    return {
      variant: chosen.name,
      experiment: experimentKey,
      prompts: { ...DEFAULT_PROMPTS, ...chosen.prompts },
    };
  }
}

/** A uniform number in [0, 1) from the first 48 bits of the key's SHA-256. */
export function unitHash(key: string): number {
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
}
