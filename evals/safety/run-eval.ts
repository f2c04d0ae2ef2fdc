// Scores the safety detectors against the labelled corpus in ./corpus and prints precision and
// recall per detector (dev split, held-out split, the held-out split of each round of files, the newest
// of which no rule was tuned on, and everything), then per category on one subset, then the false-positive rate of every
// detector on benign technical text (code, logs, changelogs, docs, config).
//
//   npm run eval:safety                          # tables only
//   npm run eval:safety -- --failures            # also list misses and false alarms of the dev split
//   npm run eval:safety -- --failures=all        # ... of both splits
//   npm run eval:safety -- --categories=dev      # per-category table of another subset
//                                                # (dev, heldout [default], heldout-v1, heldout-v2,
//                                                # heldout-v3, heldout-v5, heldout-v6, heldout-v7, all)
//   npm run eval:safety -- --dev-only            # dev split only, for tuning without seeing held-out
//
// Scoring rules are in detector.scoring.ts; the split is in corpus.loader.ts (a hash of the case id,
// fixed before any tuning: tune on dev, report held-out).
import { InjectionDetector } from '../../apps/orchestration/safety-service/src/detectors/injection/injection.detector';
import {
  MODERATION_CATEGORIES,
  RuleModerator,
} from '../../apps/orchestration/safety-service/src/detectors/moderation/moderation.rules';
import { PiiDetector } from '../../apps/orchestration/safety-service/src/detectors/pii/pii.detector';
import { SecretsDetector } from '../../apps/orchestration/safety-service/src/detectors/secrets/secrets.detector';
import {
  isBenignTechnical,
  isInjectionTargetCase,
  loadCorpus,
  splitOf,
  subsetOf,
  SUBSETS,
  type Case,
  type Split,
  type Subset,
} from './corpus.loader';
import {
  addCase,
  emptyCaseScore,
  ratio,
  scoreEntities,
  scoreModeration,
  unlabelledDetections,
  type CaseScore,
  type Counts,
} from './detector.scoring';
import { printFailures, printTable } from './table.printer';

const TARGETS = {
  pii: { recall: 0.98, precision: 0.95 },
  secrets: { recall: 0.98, precision: 0.95 },
  injection: { recall: 0.9, maxFalsePositiveRate: 0.05 },
};

const args = process.argv.slice(2);
const showFailures = args.find((a) => a.startsWith('--failures'));
const failureSplits: Split[] =
  showFailures === '--failures=all' ? ['dev', 'heldout'] : showFailures ? ['dev'] : [];
const devOnly = args.includes('--dev-only');
const categorySubset = (
  args.find((a) => a.startsWith('--categories='))?.split('=')[1] ?? (devOnly ? 'dev' : 'heldout')
).replace('-', ' ') as Subset;
if (!SUBSETS.includes(categorySubset)) throw new Error(`--categories: expected one of ${SUBSETS.join(', ')}`);
if (devOnly && categorySubset !== 'dev') throw new Error('--dev-only shows the dev split only');
const subsets: readonly Subset[] = devOnly ? ['dev'] : SUBSETS;

const pii = new PiiDetector();
const secrets = new SecretsDetector();
const injection = new InjectionDetector();
const moderator = new RuleModerator();
const detectPii = (c: Case) => pii.detect(c.text, { defaultPhoneRegion: 'US' });
const detectSecrets = (c: Case) => secrets.detect(c.text);
const injectionRules = (c: Case) =>
  injection.detect(c.text, { untrusted: c.trust === 'untrusted' }).map((d) => d.ruleId);
const moderationCategories = (c: Case) => [...new Set(moderator.detect(c.text).map((d) => d.category))];

const fmt = (x: number) => x.toFixed(3);
const pct = (a: number, b: number) => `${a}/${b} (${(ratio(a, b) * 100).toFixed(1)}%)`;

function scoreInjection(cases: readonly Case[]): CaseScore {
  const score = emptyCaseScore();
  for (const c of cases) addCase(score, c, c.injection === true, injectionRules(c));
  return score;
}

function summary(corpus: readonly Case[]): boolean {
  const rows: string[][] = [
    [
      'detector',
      'subset',
      'labelled',
      'found',
      'missed',
      'false pos',
      'precision',
      'recall',
      'target',
      'met',
    ],
  ];
  let allMet = true;
  for (const subset of subsets) {
    const cases = subsetOf(corpus, subset);
    const failures = failureSplits.includes(subset as Split);
    for (const name of ['pii', 'secrets'] as const) {
      const s = scoreEntities(cases, name, name === 'pii' ? detectPii : detectSecrets);
      const precision = ratio(s.tp, s.tp + s.fp);
      const recall = ratio(s.tp, s.tp + s.fn);
      const target = TARGETS[name];
      const met = precision >= target.precision && recall >= target.recall;
      if (subset === (devOnly ? 'dev' : 'all')) allMet &&= met;
      rows.push([
        name,
        subset,
        String(s.tp + s.fn),
        String(s.tp),
        String(s.fn),
        String(s.fp),
        fmt(precision),
        fmt(recall),
        `R>=${target.recall} P>=${target.precision}`,
        met ? 'yes' : 'NO',
      ]);
      if (failures) printFailures(`${name} ${subset}`, s.misses, s.falseAlarms);
    }
    const s = scoreInjection(cases.filter(isInjectionTargetCase));
    // A subset without injection cases (the v3 PII look-alikes) has no injection target to report.
    if (s.positives + s.benign > 0) {
      const recall = ratio(s.detected, s.positives);
      const fpRate = ratio(s.falsePositives, s.benign);
      const met = recall >= TARGETS.injection.recall && fpRate <= TARGETS.injection.maxFalsePositiveRate;
      if (subset === (devOnly ? 'dev' : 'all')) allMet &&= met;
      rows.push([
        'injection',
        subset,
        `${s.positives}+${s.benign}b`,
        String(s.detected),
        String(s.positives - s.detected),
        `${s.falsePositives} (${(fpRate * 100).toFixed(1)}%)`,
        fmt(ratio(s.detected, s.detected + s.falsePositives)),
        fmt(recall),
        `R>=${TARGETS.injection.recall} FP<=5%`,
        met ? 'yes' : 'NO',
      ]);
      if (failures) printFailures(`injection ${subset}`, s.misses, s.falseAlarms);
    }
    const other = scoreInjection(cases.filter((c) => !isInjectionTargetCase(c)));
    rows.push([
      'injection',
      `${subset} (other texts)`,
      `0+${other.benign}b`,
      '-',
      '-',
      `${other.falsePositives} (${(ratio(other.falsePositives, other.benign) * 100).toFixed(1)}%)`,
      '-',
      '-',
      'FP<=5%',
      ratio(other.falsePositives, other.benign) <= 0.05 ? 'yes' : 'NO',
    ]);
    if (failures) printFailures(`injection ${subset} (other files)`, [], other.falseAlarms);
    const moderation = [...scoreModeration(cases, MODERATION_CATEGORIES, moderationCategories).values()];
    const sum = (key: 'tp' | 'fn' | 'fp') => moderation.reduce((total, m) => total + m[key], 0);
    const moderationBenign = cases.filter((c) => c.moderation?.length === 0).length;
    rows.push([
      'moderation',
      subset,
      `${sum('tp') + sum('fn')}+${moderationBenign}b`,
      String(sum('tp')),
      String(sum('fn')),
      String(sum('fp')),
      fmt(ratio(sum('tp'), sum('tp') + sum('fp'))),
      fmt(ratio(sum('tp'), sum('tp') + sum('fn'))),
      'report only',
      '-',
    ]);
    if (failures)
      printFailures(
        `moderation ${subset}`,
        moderation.flatMap((m) => m.misses),
        moderation.flatMap((m) => m.falseAlarms),
      );
    // Every text outside the moderation corpus is benign for moderation (PII, secrets, injection
    // and technical texts): any category reported on one is a false alarm.
    const others = cases.filter((c) => c.moderation === undefined);
    const othersFlagged = others.filter((c) => moderationCategories(c).length > 0);
    rows.push([
      'moderation',
      `${subset} (other texts)`,
      `0+${others.length}b`,
      '-',
      '-',
      `${othersFlagged.length} (${(ratio(othersFlagged.length, others.length) * 100).toFixed(1)}%)`,
      '-',
      '-',
      'report only',
      '-',
    ]);
    if (failures)
      printFailures(
        `moderation ${subset} (other files)`,
        [],
        othersFlagged.map((c) => `${c.id}: ${JSON.stringify(c.text.slice(0, 100))}`),
      );
  }
  printTable(rows);
  console.log(
    '\ninjection "labelled" = attacks + benign texts; "false pos" for injection counts benign texts flagged.\n' +
      'moderation: rule-based adapter, micro-averaged over its four categories (per category below); "b" =\n' +
      'texts labelled with no category, "false pos" = categories reported that a text is not labelled with.',
  );
  return allMet;
}

function entityRows(name: string, byType: Map<string, Counts>): string[][] {
  return [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, c]) => [
      name,
      type,
      String(c.tp + c.fn),
      String(c.tp),
      String(c.fn),
      String(c.fp),
      fmt(ratio(c.tp, c.tp + c.fp)),
      fmt(ratio(c.tp, c.tp + c.fn)),
    ]);
}

function perCategory(corpus: readonly Case[], subset: Subset): void {
  const cases = subsetOf(corpus, subset);
  console.log(`\nPer category, ${subset} (${cases.length} cases)\n`);
  const rows: string[][] = [
    ['detector', 'category', 'labelled', 'found', 'missed', 'false pos', 'precision', 'recall'],
  ];
  rows.push(...entityRows('pii', scoreEntities(cases, 'pii', detectPii).byType));
  rows.push(...entityRows('secrets', scoreEntities(cases, 'secrets', detectSecrets).byType));
  const families = new Map<string, CaseScore>();
  for (const c of cases.filter(isInjectionTargetCase)) {
    const key = c.family === 'multilingual' ? `multilingual/${c.lang}` : (c.family ?? 'v1 corpus');
    if (!families.has(key)) families.set(key, emptyCaseScore());
    addCase(families.get(key) as CaseScore, c, c.injection === true, injectionRules(c));
  }
  for (const [family, s] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([
      'injection',
      family,
      `${s.positives}+${s.benign}b`,
      String(s.detected),
      String(s.positives - s.detected),
      `${s.falsePositives} (${(ratio(s.falsePositives, s.benign) * 100).toFixed(1)}%)`,
      fmt(ratio(s.detected, s.detected + s.falsePositives)),
      fmt(ratio(s.detected, s.positives)),
    ]);
  }
  for (const [category, m] of scoreModeration(cases, MODERATION_CATEGORIES, moderationCategories)) {
    rows.push([
      'moderation',
      category,
      String(m.tp + m.fn),
      String(m.tp),
      String(m.fn),
      String(m.fp),
      fmt(ratio(m.tp, m.tp + m.fp)),
      fmt(ratio(m.tp, m.tp + m.fn)),
    ]);
  }
  printTable(rows);
}

function benignTechnical(corpus: readonly Case[]): void {
  console.log(
    '\nBenign technical text (code, logs, changelogs, docs, config): texts with an unlabelled detection\n',
  );
  const splits: Split[] = devOnly ? ['dev'] : ['dev', 'heldout'];
  const rows: string[][] = [['detector', ...splits, ...(devOnly ? [] : ['all'])]];
  const texts = corpus.filter(isBenignTechnical);
  const detectors: [string, (c: Case) => number][] = [
    ['pii', (c) => unlabelledDetections(c, detectPii(c))],
    ['secrets', (c) => unlabelledDetections(c, detectSecrets(c))],
    ['injection', (c) => injectionRules(c).length],
    ['moderation', (c) => moderationCategories(c).length],
  ];
  const any = (c: Case) => detectors.some(([, flagged]) => flagged(c) > 0);
  for (const [name, flagged] of [...detectors, ['any', (c: Case) => (any(c) ? 1 : 0)] as const]) {
    const cells = splits.map((split) => {
      const subset = texts.filter((c) => splitOf(c) === split);
      return pct(subset.filter((c) => flagged(c) > 0).length, subset.length);
    });
    if (!devOnly) cells.push(pct(texts.filter((c) => flagged(c) > 0).length, texts.length));
    rows.push([name, ...cells]);
  }
  printTable(rows);
}

function main(): void {
  const corpus = loadCorpus();
  const dev = corpus.filter((c) => splitOf(c) === 'dev').length;
  console.log(
    `Safety detector evaluation: ${corpus.length} cases (${dev} dev, ${corpus.length - dev} held-out)${devOnly ? ', dev only' : ''}\n`,
  );
  const allMet = summary(devOnly ? subsetOf(corpus, 'dev') : corpus);
  perCategory(corpus, categorySubset);
  benignTechnical(corpus);
  process.exitCode = allMet ? 0 : 1;
}

main();
