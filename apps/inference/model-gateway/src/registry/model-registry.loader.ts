// Owns turning the registry file's bytes into a ModelRegistry: YAML or JSON by extension (YAML is a
// superset of JSON, so anything else is read as YAML), zod validation, and one error that names the
// file and every bad field.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { ModelRegistry } from './model-registry';
import { registryFileSchema } from './model-registry.schema';

export class RegistryLoadError extends Error {
  override readonly name = 'RegistryLoadError';

  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`Model registry ${path} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Parses registry text; `path` only names the format and appears in errors. */
export function parseRegistry(text: string, path: string): ModelRegistry {
  let raw: unknown;
  try {
    raw =
      extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new RegistryLoadError(path, [
      `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    ]);
  }
  const parsed = registryFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new RegistryLoadError(
      path,
      parsed.error.issues.map((issue) => describeIssue(issue, raw)),
    );
  return new ModelRegistry(parsed.data, createHash('sha256').update(text).digest('hex'));
}

export async function loadRegistryFile(path: string): Promise<ModelRegistry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RegistryLoadError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseRegistry(text, path);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  // zod 4 leaves `input` off issues, so look the value up to tell "missing" from "wrong".
  const value = issue.path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    raw,
  );
  if (issue.code === 'invalid_type' && value === undefined) return `${where}: required but missing`;
  return `${where}: ${issue.message}`;
}
