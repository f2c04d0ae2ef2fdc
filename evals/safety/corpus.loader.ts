// Loads the labelled safety corpus (./corpus/*.jsonl) and assigns every case to its split. The split
// is a hash of the case id, fixed before any tuning: `fnv1a(id) % 3 == 0` is held out, the rest is
// dev. The files written for the first round of rules (injection, pii, secrets) are "v1"; the files
// added later (injection families, PII look-alikes, benign technical text, moderation) are "v2"; the
// third round of PII look-alikes (written before the rules were tuned for it) is "v3", the fifth
// (likewise written and committed before any rule change for it) is "v5", the sixth and seventh (the
// same way) "v6" and "v7". The held-out
// third of each round is the split its rules were not tuned against. Look-alikes written while tuning
// (`pii-lookalikes-dev.jsonl`: cases chosen knowing the rules) are dev as a whole: they would flatter
// any held-out third they joined, and adding them must not change which cases are held out.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface Entity {
  type: string;
  value: string;
}

export interface Case {
  id: string;
  text: string;
  trust: 'user' | 'untrusted';
  pii?: Entity[];
  secrets?: Entity[];
  /** True for an attack; false (or absent) for a benign text. */
  injection?: boolean;
  /** Moderation categories the text belongs to; absent when the case is not labelled for moderation. */
  moderation?: string[];
  /** What kind of case it is (e.g. `context_extraction`, `log`, `news`); absent in the v1 files. */
  family?: string;
  lang?: string;
  note?: string;
  /** The corpus file it came from, without `.jsonl`. */
  file: string;
}

export type Split = 'dev' | 'heldout';

/** The corpus files of the first round; everything else was added after them. */
const V1_FILES = new Set(['injection', 'pii', 'secrets']);
/** The corpus files of the third round. */
const V3_FILES = new Set(['pii-lookalikes-v3']);
/** The corpus files of the fifth round (the fourth is the dev-only file). */
const V5_FILES = new Set(['pii-lookalikes-v5']);
/** The corpus files of the sixth round. */
const V6_FILES = new Set(['pii-lookalikes-v6']);
/** The corpus files of the seventh round. */
const V7_FILES = new Set(['pii-lookalikes-v7']);
/** Files written while tuning the rules: every case is dev. */
const DEV_ONLY_FILES = new Set(['pii-lookalikes-dev']);

export const isV1 = (c: Case): boolean => V1_FILES.has(c.file);
export const isV3 = (c: Case): boolean => V3_FILES.has(c.file);
export const isV5 = (c: Case): boolean => V5_FILES.has(c.file);
export const isV6 = (c: Case): boolean => V6_FILES.has(c.file);
export const isV7 = (c: Case): boolean => V7_FILES.has(c.file);
export const isV2 = (c: Case): boolean =>
  !isV1(c) && !isV3(c) && !isV5(c) && !isV6(c) && !isV7(c) && !DEV_ONLY_FILES.has(c.file);

/** Cases scored for the injection target: attacks and benign prompts that use the same words. */
export const isInjectionTargetCase = (c: Case): boolean =>
  c.file === 'injection' || c.file === 'injection-families';

export const isBenignTechnical = (c: Case): boolean => c.file === 'benign-technical';

/** The split of a case: its id's hash, except for the dev-only files. */
export function splitOf(c: Case): Split {
  return DEV_ONLY_FILES.has(c.file) ? 'dev' : splitOfId(c.id);
}

function splitOfId(id: string): Split {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % 3 === 0 ? 'heldout' : 'dev';
}

export function loadCorpus(dir = join(__dirname, 'corpus')): Case[] {
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => ({ ...(JSON.parse(line) as Omit<Case, 'file'>), file: basename(file, '.jsonl') })),
    );
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
    seen.add(c.id);
  }
  return cases;
}

/** Subsets the tables report on. `heldout v7` is the newest round's held-out third. */
export type Subset =
  | 'dev'
  | 'heldout'
  | 'heldout v1'
  | 'heldout v2'
  | 'heldout v3'
  | 'heldout v5'
  | 'heldout v6'
  | 'heldout v7'
  | 'all';
export const SUBSETS: readonly Subset[] = [
  'dev',
  'heldout',
  'heldout v1',
  'heldout v2',
  'heldout v3',
  'heldout v5',
  'heldout v6',
  'heldout v7',
  'all',
];

export function subsetOf(corpus: readonly Case[], subset: Subset): Case[] {
  switch (subset) {
    case 'dev':
      return corpus.filter((c) => splitOf(c) === 'dev');
    case 'heldout':
      return corpus.filter((c) => splitOf(c) === 'heldout');
    case 'heldout v1':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV1(c));
    case 'heldout v2':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV2(c));
    case 'heldout v3':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV3(c));
    case 'heldout v5':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV5(c));
    case 'heldout v6':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV6(c));
    case 'heldout v7':
      return corpus.filter((c) => splitOf(c) === 'heldout' && isV7(c));
    case 'all':
      return [...corpus];
  }
}
