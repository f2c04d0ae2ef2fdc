// The shape of a tenant's safety policy file, validated at load so a typo fails start-up with the
// file and the path of the bad field instead of silently allowing something. For every detector and
// stage the policy picks `allow` (report only), `flag` (report and audit for review), `redact`
// (placeholders for PII and secrets; neutralise injected instructions) or `block` (with the refusal
// shown to the user). Harmful-content categories (moderation) take allow, flag or block: there is
// nothing in them to replace by a placeholder.
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

import { INJECTION_RULE_IDS } from '../detectors/injection/injection.rules';
import { CANARY_RULE_ID } from '../detectors/leak/canary.detector';
import { GUARD_MODERATION_IDS } from '../detectors/moderation/moderation-rule-ids';
import { RULE_MODERATION_IDS } from '../detectors/moderation/moderation.rules';
import { PII_RULE_IDS } from '../detectors/pii/pii.detector';
import { SECRETS_RULE_IDS } from '../detectors/secrets/secrets.detector';

export const ALL_RULE_IDS = [
  ...PII_RULE_IDS,
  ...SECRETS_RULE_IDS,
  ...INJECTION_RULE_IDS,
  CANARY_RULE_ID,
  ...RULE_MODERATION_IDS,
  ...GUARD_MODERATION_IDS,
] as const;
export type RuleId = (typeof ALL_RULE_IDS)[number];

/** The default-policy marker; any other `tenant` must be a tenant id (UUID). */
export const DEFAULT_TENANT = 'default';

const refusal = z.string().trim().min(1).max(2_000);
const region = z
  .string()
  .refine(
    (code) => isSupportedCountry(code),
    'expected an ISO 3166-1 alpha-2 region libphonenumber knows, e.g. US',
  );

const allow = z.strictObject({ action: z.literal('allow') });
const flag = z.strictObject({ action: z.literal('flag') });
const block = z.strictObject({ action: z.literal('block'), refusal: refusal.optional() });

export const policyActionSchema = z.discriminatedUnion('action', [
  allow,
  flag,
  z.strictObject({ action: z.literal('redact') }),
  block,
]);
export type PolicyAction = z.infer<typeof policyActionSchema>;

/** What a policy may do about a harmful-content category. */
export const moderationActionSchema = z.discriminatedUnion('action', [allow, flag, block], {
  error: 'expected allow, flag or block (harmful content has no placeholder to redact to)',
});

const FLAG = { action: 'flag' } as const;
const BLOCK = { action: 'block' } as const;
/** Per-stage harmful-content actions; a policy file without them gets these. */
const moderationStage = {
  violence: moderationActionSchema.default(FLAG),
  self_harm: moderationActionSchema.default(FLAG),
  sexual_minors: moderationActionSchema.default(BLOCK),
  hate: moderationActionSchema.default(FLAG),
};

export const policySchema = z.strictObject({
  tenant: z.union([z.literal(DEFAULT_TENANT), z.uuid({ error: 'expected "default" or a tenant id (UUID)' })]),
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a short version label such as 2025-06-01.1'),
  /** Refusal for `block` actions that do not carry their own. */
  refusal,
  phone: z
    .strictObject({
      /** Region of numbers written without a country code. */
      defaultRegion: region,
      /** Regions tried for national-format numbers ("030 1234567") invalid in the default region. */
      fallbackRegions: z.array(region).max(20).optional(),
    })
    .default({ defaultRegion: 'US' }),
  input: z.strictObject({
    pii: policyActionSchema,
    secrets: policyActionSchema,
    /** Injection in the user's own messages. */
    injection: policyActionSchema,
    /** Instructions found in documents and tool results; `redact` neutralises them. */
    untrusted_injection: policyActionSchema,
    /** Harmful content in the user's own messages (documents and tool results are not moderated). */
    ...moderationStage,
  }),
  output: z.strictObject({
    pii: policyActionSchema,
    secrets: policyActionSchema,
    system_prompt_leak: policyActionSchema,
    ...moderationStage,
  }),
  /** Per-rule overrides, applied at every stage (e.g. allow `pii.ip_address`). */
  rules: z
    .partialRecord(z.enum(ALL_RULE_IDS), policyActionSchema)
    .default({})
    .superRefine((rules, ctx) => {
      for (const [ruleId, action] of Object.entries(rules)) {
        if (ruleId.startsWith('moderation.') && action?.action === 'redact') {
          ctx.addIssue({
            code: 'custom',
            path: [ruleId, 'action'],
            message: 'expected allow, flag or block (harmful content has no placeholder to redact to)',
          });
        }
      }
    }),
});

export type SafetyPolicy = z.infer<typeof policySchema>;
