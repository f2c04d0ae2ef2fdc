// Scores the safety detectors against the labelled corpus in ./corpus and prints precision and
// recall per detector, on the development split, the held-out split and both.
//
//   npm run eval:safety                     # table only
//   npm run eval:safety -- --failures       # also list misses and false alarms of the dev split
//   npm run eval:safety -- --failures=all   # ... of both splits
//
// PII and secrets are scored per entity: a labelled value counts as found when a detection of that
// detector overlaps it; a detection that overlaps no labelled value of its detector is a false
// positive (unless it overlaps a value labelled for the other detector: a password inside a URL
// is a secret, and the engine redacts it as one whichever detector also saw it). Every detector
// runs on every case of every file, so the look-alike negatives of one file test all detectors.
// Injection is scored per case: recall over attacks, false-positive rate over benign texts.
// The split is a hash of the case id, fixed before any tuning; tune on dev, report held-out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Detection } from '../../apps/orchestration/safety-service/src/detectors/detection.model';
import { InjectionDetector } from '../../apps/orchestration/safety-service/src/detectors/injection/injection.detector';
import { PiiDetector } from '../../apps/orchestration/safety-service/src/detectors/pii/pii.detector';
import { SecretsDetector } from '../../apps/orchestration/safety-service/src/detectors/secrets/secrets.detector';

interface Entity {
  type: string;
  value: string;
}

interface Case {
  id: string;
  text: string;
  trust: 'user' | 'untrusted';
  pii?: Entity[];
  secrets?: Entity[];
  injection?: boolean;
  note?: string;
}

type Split = 'dev' | 'heldout';
interface Span {
  start: number;
  end: number;
  type: string;
}

const TARGETS = {
  pii: { recall: 0.98, precision: 0.95 },
  secrets: { recall: 0.98, precision: 0.95 },
  injection: { recall: 0.9, maxFalsePositiveRate: 0.05 },
};

const args = process.argv.slice(2);
const showFailures = args.find((a) => a.startsWith('--failures'));
const failureSplits: Split[] =
  showFailures === '--failures=all' ? ['dev', 'heldout'] : showFailures ? ['dev'] : [];

function splitOf(id: string): Split {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % 3 === 0 ? 'heldout' : 'dev';
}

function loadCorpus(): Case[] {
  const dir = join(__dirname, 'corpus');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Case),
    );
}

/** Spans of labelled values, each occurrence in order (a value listed twice is its 2nd occurrence). */
function goldSpans(text: string, entities: Entity[] = []): Span[] {
  const used = new Map<string, number>();
  return entities.map((e) => {
    const from = used.get(e.value) ?? 0;
    const start = text.indexOf(e.value, from);
    if (start < 0) throw new Error(`labelled value not in text: ${e.value}`);
    used.set(e.value, start + 1);
    return { start, end: start + e.value.length, type: e.type };
  });
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

interface EntityScore {
  tp: number;
  fn: number;
  fp: number;
  misses: string[];
  falseAlarms: string[];
}

function scoreEntities(
  cases: Case[],
  detector: 'pii' | 'secrets',
  detect: (c: Case) => Detection[],
  other: 'pii' | 'secrets',
): EntityScore {
  const score: EntityScore = { tp: 0, fn: 0, fp: 0, misses: [], falseAlarms: [] };
  for (const c of cases) {
    const gold = goldSpans(c.text, c[detector]);
    const otherGold = goldSpans(c.text, c[other]);
    const found = detect(c);
    for (const g of gold) {
      if (found.some((d) => overlaps(d, g))) score.tp++;
      else {
        score.fn++;
        score.misses.push(`${c.id} ${g.type}: ${JSON.stringify(c.text.slice(g.start, g.end))}`);
      }
    }
    for (const d of found) {
      if (gold.some((g) => overlaps(d, g)) || otherGold.some((g) => overlaps(d, g))) continue;
      score.fp++;
      score.falseAlarms.push(`${c.id} ${d.ruleId}: ${JSON.stringify(c.text.slice(d.start, d.end))}`);
    }
  }
  return score;
}

interface CaseScore {
  positives: number;
  detected: number;
  benign: number;
  falsePositives: number;
  misses: string[];
  falseAlarms: string[];
}

function scoreInjection(cases: Case[], detector: InjectionDetector): CaseScore {
  const score: CaseScore = {
    positives: 0,
    detected: 0,
    benign: 0,
    falsePositives: 0,
    misses: [],
    falseAlarms: [],
  };
  for (const c of cases) {
    const found = detector.detect(c.text, { untrusted: c.trust === 'untrusted' });
    const label = c.injection === true;
    if (label) {
      score.positives++;
      if (found.length > 0) score.detected++;
      else score.misses.push(`${c.id} (${c.trust}): ${JSON.stringify(c.text.slice(0, 110))}`);
    } else {
      score.benign++;
      if (found.length > 0) {
        score.falsePositives++;
        score.falseAlarms.push(
          `${c.id} (${c.trust}) ${found.map((d) => d.ruleId).join(',')}: ${JSON.stringify(c.text.slice(0, 110))}`,
        );
      }
    }
  }
  return score;
}

const isInjectionCorpus = (c: Case) => c.id.startsWith('injection-');
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const fmt = (x: number) => x.toFixed(3);

function main(): void {
  const corpus = loadCorpus();
  const pii = new PiiDetector();
  const secrets = new SecretsDetector();
  const injection = new InjectionDetector();
  const bySplit: Record<Split | 'all', Case[]> = {
    dev: corpus.filter((c) => splitOf(c.id) === 'dev'),
    heldout: corpus.filter((c) => splitOf(c.id) === 'heldout'),
    all: corpus,
  };

  console.log(
    `Safety detector evaluation: ${corpus.length} cases (${bySplit.dev.length} dev, ${bySplit.heldout.length} held-out)\n`,
  );
  const rows: string[][] = [
    ['detector', 'split', 'labelled', 'found', 'missed', 'false pos', 'precision', 'recall', 'target', 'met'],
  ];
  let allMet = true;
  for (const split of ['dev', 'heldout', 'all'] as const) {
    for (const name of ['pii', 'secrets'] as const) {
      const detect =
        name === 'pii'
          ? (c: Case) => pii.detect(c.text, { defaultPhoneRegion: 'US' })
          : (c: Case) => secrets.detect(c.text);
      const s = scoreEntities(bySplit[split], name, detect, name === 'pii' ? 'secrets' : 'pii');
      const precision = ratio(s.tp, s.tp + s.fp);
      const recall = ratio(s.tp, s.tp + s.fn);
      const target = TARGETS[name];
      const met = precision >= target.precision && recall >= target.recall;
      if (split === 'all') allMet &&= met;
      rows.push([
        name,
        split,
        String(s.tp + s.fn),
        String(s.tp),
        String(s.fn),
        String(s.fp),
        fmt(precision),
        fmt(recall),
        `R>=${target.recall} P>=${target.precision}`,
        met ? 'yes' : 'NO',
      ]);
      if (failureSplits.includes(split as Split)) printFailures(`${name} ${split}`, s.misses, s.falseAlarms);
    }
    // The target is measured on the injection file: attacks, and benign prompts that use the same words.
    const s = scoreInjection(bySplit[split].filter(isInjectionCorpus), injection);
    const recall = ratio(s.detected, s.positives);
    const fpRate = ratio(s.falsePositives, s.benign);
    const met = recall >= TARGETS.injection.recall && fpRate <= TARGETS.injection.maxFalsePositiveRate;
    if (split === 'all') allMet &&= met;
    rows.push([
      'injection',
      split,
      `${s.positives}+${s.benign}b`,
      String(s.detected),
      String(s.positives - s.detected),
      `${s.falsePositives} (${(fpRate * 100).toFixed(1)}%)`,
      fmt(ratio(s.detected, s.detected + s.falsePositives)),
      fmt(recall),
      `R>=${TARGETS.injection.recall} FP<=5%`,
      met ? 'yes' : 'NO',
    ]);
    if (failureSplits.includes(split as Split)) printFailures(`injection ${split}`, s.misses, s.falseAlarms);
    const other = scoreInjection(
      bySplit[split].filter((c) => !isInjectionCorpus(c)),
      injection,
    );
    rows.push([
      'injection',
      `${split} (pii/secrets texts)`,
      `0+${other.benign}b`,
      '-',
      '-',
      `${other.falsePositives} (${(ratio(other.falsePositives, other.benign) * 100).toFixed(1)}%)`,
      '-',
      '-',
      'FP<=5%',
      ratio(other.falsePositives, other.benign) <= 0.05 ? 'yes' : 'NO',
    ]);
    if (failureSplits.includes(split as Split))
      printFailures(`injection ${split} (other files)`, [], other.falseAlarms);
  }
  printTable(rows);
  console.log(
    '\ninjection "labelled" = attacks + benign texts; "false pos" for injection counts benign texts flagged.',
  );
  process.exitCode = allMet ? 0 : 1;
}

function printFailures(title: string, misses: string[], falseAlarms: string[]): void {
  if (misses.length === 0 && falseAlarms.length === 0) return;
  console.log(`-- ${title}`);
  for (const m of misses) console.log(`   missed     ${m}`);
  for (const f of falseAlarms) console.log(`   false pos  ${f}`);
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  rows.forEach((row, index) => {
    console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

main();
