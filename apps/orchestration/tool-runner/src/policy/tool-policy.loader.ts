// Owns reading the tool policy file: YAML, validated with zod at start-up against the registered
// tool names, so a typo in an allowlist stops the service instead of silently denying (or allowing)
// a tool. Tenants and keys are addressed by id; `default` covers tenants without an entry.
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';
import { z } from 'zod';

const toolName = z.string().regex(/^([a-zA-Z0-9_-]{1,64}|\*)$/, 'a tool name or "*"');

const keyPolicySchema = z.object({ allow: z.array(toolName) }).strict();

const tenantPolicySchema = z
  .object({
    allow: z.array(toolName).default([]),
    confirm: z.array(toolName).default([]),
    httpHosts: z.array(z.string().min(1).toLowerCase()).optional(),
    apiKeys: z.record(z.uuid(), keyPolicySchema).default({}),
  })
  .strict();

const policyFileSchema = z
  .object({
    version: z.literal(1),
    tenants: z
      .record(z.union([z.uuid(), z.literal('default')]), tenantPolicySchema)
      .refine((tenants) => 'default' in tenants, 'a `default` entry is required'),
  })
  .strict();

export type TenantToolPolicy = z.output<typeof tenantPolicySchema>;
export type ToolPolicyFile = z.output<typeof policyFileSchema>;

/** Parses and validates a policy document; throws one error listing every problem. */
export function parseToolPolicy(
  source: string,
  toolNames: readonly string[],
  origin = 'tool policy',
): ToolPolicyFile {
  const parsed = policyFileSchema.safeParse(parse(source));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${origin} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const known = new Set([...toolNames, '*']);
  const unknown: string[] = [];
  for (const [tenant, policy] of Object.entries(parsed.data.tenants)) {
    const names = [
      ...policy.allow,
      ...policy.confirm,
      ...Object.values(policy.apiKeys).flatMap((key) => key.allow),
    ];
    for (const name of names) if (!known.has(name)) unknown.push(`tenants.${tenant}: unknown tool "${name}"`);
  }
  if (unknown.length > 0) throw new Error(`${origin} is invalid:\n  ${unknown.join('\n  ')}`);
  return parsed.data;
}

export function loadToolPolicy(path: string, toolNames: readonly string[]): ToolPolicyFile {
  return parseToolPolicy(readFileSync(path, 'utf8'), toolNames, path);
}
