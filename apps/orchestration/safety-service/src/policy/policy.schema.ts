// The shape of a tenant's safety policy file, validated at load so a typo fails start-up with the
// file and the path of the bad field instead of silently allowing something. For every detector and
// stage the policy picks `allow` (report only), `redact` (placeholders for PII and secrets;
// neutralise injected instructions) or `block` (with the refusal shown to the user).
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

import { INJECTION_RULE_IDS } from '../detectors/injection/injection.rules';
import { CANARY_RULE_ID } from '../detectors/leak/canary.detector';
import { PII_RULE_IDS } from '../detectors/pii/pii.detector';
import { SECRETS_RULE_IDS } from '../detectors/secrets/secrets.detector';

export const ALL_RULE_IDS = [
  ...PII_RULE_IDS,
  ...SECRETS_RULE_IDS,
  ...INJECTION_RULE_IDS,
  CANARY_RULE_ID,
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

export const policyActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('allow') }),
  z.strictObject({ action: z.literal('redact') }),
  z.strictObject({ action: z.literal('block'), refusal: refusal.optional() }),
]);
export type PolicyAction = z.infer<typeof policyActionSchema>;

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
  }),
  output: z.strictObject({
    pii: policyActionSchema,
    secrets: policyActionSchema,
    system_prompt_leak: policyActionSchema,
  }),
  /** Per-rule overrides, applied at every stage (e.g. allow `pii.ip_address`). */
  rules: z.partialRecord(z.enum(ALL_RULE_IDS), policyActionSchema).default({}),
});

export type SafetyPolicy = z.infer<typeof policySchema>;
