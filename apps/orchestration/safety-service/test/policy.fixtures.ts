// Policies for unit specs, built from YAML text through the real loader.
import { parsePolicy } from '../src/policy/policy.loader';
import type { SafetyPolicy } from '../src/policy/policy.schema';

export const STRICT_POLICY_YAML = `
tenant: default
version: spec.1
refusal: "Default refusal."
input:
  pii: { action: redact }
  secrets: { action: redact }
  injection: { action: block, refusal: "Injection refusal." }
  untrusted_injection: { action: redact }
output:
  pii: { action: redact }
  secrets: { action: block, refusal: "Secret refusal." }
  system_prompt_leak: { action: block }
rules:
  pii.ip_address: { action: allow }
`;

export function strictPolicy(): SafetyPolicy {
  return parsePolicy('strict.yaml', STRICT_POLICY_YAML);
}

/** The strict policy with YAML lines replaced, e.g. `{ 'secrets: { action: block': 'secrets: { action: redact' }`. */
export function policyWith(replacements: Record<string, string>): SafetyPolicy {
  let yaml = STRICT_POLICY_YAML;
  for (const [from, to] of Object.entries(replacements)) {
    if (!yaml.includes(from)) throw new Error(`policy fixture has no "${from}"`);
    yaml = yaml.replace(from, to);
  }
  return parsePolicy('variant.yaml', yaml);
}
