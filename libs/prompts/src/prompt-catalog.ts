// Owns the prompts the platform itself writes (grounding, rolling summary, memory, tool scaffolding):
// each is a file `prompts/<id>@v<version>.md`, YAML front matter (id, version, description, the
// variables its body uses) and the text. A file is never edited once a release served it: a change is
// a new version beside it, so a turn trace that names `grounding@v1` keeps meaning that text. The
// catalog is read and checked once, when a service starts (a bad file stops it, listing every
// problem), then rendered from memory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** `<id>@v<version>`, e.g. `grounding@v1`: how code, configuration and traces name a prompt. */
export type PromptRef = `${string}@v${number}`;

export interface PromptTemplate {
  readonly ref: PromptRef;
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly variables: readonly string[];
  readonly body: string;
}

const PROMPT_ID = /^[a-z][a-z0-9-]{0,62}$/;
const REF = /^([a-z][a-z0-9-]{0,62})@v([1-9]\d{0,5})$/;
const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

const frontMatterSchema = z.object({
  id: z.string().regex(PROMPT_ID, 'lower-case letters, digits and dashes'),
  version: z.number().int().positive(),
  description: z.string().min(1),
  variables: z.array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/)).default([]),
});

/** The folder of prompt files shipped with this library (copied beside the compiled code). */
export const PROMPTS_DIR = join(__dirname, 'prompts');

export function isPromptRef(value: string): value is PromptRef {
  return REF.test(value);
}

export class PromptCatalog {
  private constructor(private readonly templates: ReadonlyMap<string, PromptTemplate>) {}

  /** Reads and checks every `*.md` file of `dir`; throws one error listing every problem. */
  static load(dir: string = PROMPTS_DIR): PromptCatalog {
    const problems: string[] = [];
    const templates = new Map<string, PromptTemplate>();
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort()) {
      try {
        const template = parsePromptFile(file, readFileSync(join(dir, file), 'utf8'));
        templates.set(template.ref, template);
      } catch (error) {
        problems.push(`${file}: ${(error as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`invalid prompt files in ${dir}:\n  ${problems.join('\n  ')}`);
    return new PromptCatalog(templates);
  }

  /** Every prompt's ref, sorted. */
  refs(): PromptRef[] {
    return [...this.templates.keys()].sort() as PromptRef[];
  }

  has(ref: string): boolean {
    return this.templates.has(ref);
  }

  get(ref: string): PromptTemplate {
    const template = this.templates.get(ref);
    if (!template) throw new Error(`unknown prompt ${ref} (known: ${this.refs().join(', ')})`);
    return template;
  }

  /** The prompt's text with each `{{variable}}` replaced; every declared variable must be given. */
  render(ref: string, variables: Readonly<Record<string, string>> = {}): string {
    const template = this.get(ref);
    const missing = template.variables.filter((name) => variables[name] === undefined);
    if (missing.length > 0) throw new Error(`prompt ${ref} needs ${missing.join(', ')}`);
    return template.body.replace(PLACEHOLDER, (_, name: string) => variables[name] as string);
  }
}

let shared: PromptCatalog | undefined;

/** The shipped catalog, loaded on first use (call it at start-up so a bad file stops the service). */
export function promptCatalog(): PromptCatalog {
  shared ??= PromptCatalog.load();
  return shared;
}

/**
 * The shipped catalog after checking it holds `refs`: a module calls it when it is loaded, so a
 * service whose code names a missing prompt version stops at start-up instead of at its first use.
 */
export function requirePrompts(...refs: readonly string[]): PromptCatalog {
  const catalog = promptCatalog();
  const missing = refs.filter((ref) => !catalog.has(ref));
  if (missing.length > 0) throw new Error(`missing prompt files: ${missing.join(', ')}`);
  return catalog;
}

/** One prompt file: front matter between `---` lines, then the body (its last newline dropped). */
export function parsePromptFile(fileName: string, text: string): PromptTemplate {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error('expected YAML front matter between --- lines, then the prompt');
  const parsed = frontMatterSchema.safeParse(parseYaml(match[1] as string));
  if (!parsed.success)
    throw new Error(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'front matter'}: ${i.message}`).join('; '),
    );
  const { id, version, description, variables } = parsed.data;
  const ref = `${id}@v${version}` as PromptRef;
  if (fileName !== `${ref}.md`) throw new Error(`front matter names ${ref}, so the file must be ${ref}.md`);
  const body = (match[2] as string).replace(/\r?\n$/, '');
  if (body.trim() === '') throw new Error('the prompt is empty');
  const used = new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1] as string));
  const undeclared = [...used].filter((name) => !variables.includes(name));
  const unused = variables.filter((name) => !used.has(name));
  if (undeclared.length > 0) throw new Error(`the body uses undeclared variables: ${undeclared.join(', ')}`);
  if (unused.length > 0) throw new Error(`declared variables the body never uses: ${unused.join(', ')}`);
  return { ref, id, version, description: description.trim(), variables, body };
}
