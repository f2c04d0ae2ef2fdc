// Loads every policy file of a folder (YAML or JSON, one tenant per file) at start-up. Anything
// wrong (unreadable YAML, an unknown action, a misspelt rule id, two files for one tenant, no
// default policy) fails the whole load with every problem listed as `<file>: <field path>: <reason>`.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';

import { DEFAULT_TENANT, policySchema, type SafetyPolicy } from './policy.schema';
import { PolicyStore } from './policy.store';

const POLICY_FILE = /\.(?:ya?ml|json)$/i;

export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';

  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid safety policy (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
  }
}

/** Parses one policy file's text; `file` names it in errors. */
export function parsePolicy(file: string, source: string): SafetyPolicy {
  let document: unknown;
  try {
    document = parseYaml(source, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new PolicyLoadError([
      `${file}${where}: not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    ]);
  }
  const result = policySchema.safeParse(document);
  if (!result.success)
    throw new PolicyLoadError(result.error.issues.flatMap((issue) => describe(file, issue)));
  return result.data;
}

/** Loads every policy file in `dir` into a store; requires exactly one default policy. */
export function loadPolicies(dir: string): PolicyStore {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((name) => POLICY_FILE.test(name))
      .sort();
  } catch (error) {
    throw new PolicyLoadError([`${dir}: cannot read the policy folder: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const byTenant = new Map<string, { file: string; policy: SafetyPolicy }>();
  for (const name of files) {
    try {
      const policy = parsePolicy(name, readFileSync(join(dir, name), 'utf8'));
      const previous = byTenant.get(policy.tenant);
      if (previous) {
        problems.push(`${name}: tenant: "${policy.tenant}" already has a policy in ${previous.file}`);
        continue;
      }
      byTenant.set(policy.tenant, { file: name, policy });
    } catch (error) {
      if (error instanceof PolicyLoadError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (!byTenant.has(DEFAULT_TENANT) && problems.length === 0) {
    problems.push(
      `${basename(dir)}: no policy with tenant: ${DEFAULT_TENANT} (every tenant without its own file uses it)`,
    );
  }
  if (problems.length > 0) throw new PolicyLoadError(problems);
  return new PolicyStore(new Map([...byTenant].map(([tenant, entry]) => [tenant, entry.policy])));
}

function describe(file: string, issue: z.core.$ZodIssue): string[] {
  const path = issue.path.map(String);
  const at = (segments: string[]) => (segments.length > 0 ? segments.join('.') : '(root)');
  // An unknown key (often a typo of a rule id) is reported at its own path, one line per key.
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => `${file}: ${at([...path, key])}: unknown key`);
  if (issue.code === 'invalid_type' && issue.input === undefined) return [`${file}: ${at(path)}: required`];
  return [`${file}: ${at(path)}: ${issue.message}`];
}
