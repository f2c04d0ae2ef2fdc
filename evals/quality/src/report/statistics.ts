// Owns the numbers a report states about a suite: mean score with a 95% bootstrap interval (seeded,
// so the same cases give the same interval), Wilson's interval for pass rates, and percentiles; and
// for two variants run on the same cases, the paired bootstrap interval of the mean difference and
// the exact two-sided sign test.

/** Park–Miller minimal standard generator: a fixed seed gives the same resamples every run. */
function seededUniform(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** 95% percentile-bootstrap interval of the mean (2000 resamples, seeded). */
export function bootstrapInterval(values: readonly number[], seed = 17, resamples = 2000): [number, number] {
  if (values.length === 0) return [0, 0];
  const random = seededUniform(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)];
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  return [percentile(means, 2.5), percentile(means, 97.5)];
}

/** Wilson score interval (95%) of `successes` out of `total`. */
export function wilsonInterval(successes: number, total: number, z = 1.96): [number, number] {
  if (total === 0) return [0, 0];
  const p = successes / total;
  const denominator = 1 + (z * z) / total;
  const centre = (p + (z * z) / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Linear-interpolated percentile of sorted or unsorted values (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/**
 * 95% paired bootstrap interval of the mean of per-case differences (B - A on the same cases): the
 * cases are resampled as pairs, so what both variants find hard cancels out.
 */
export function pairedBootstrapInterval(
  a: readonly number[],
  b: readonly number[],
  seed = 17,
  resamples = 2000,
): [number, number] {
  if (a.length !== b.length) throw new Error('paired samples must have the same length');
  return bootstrapInterval(
    a.map((value, i) => (b[i] as number) - value),
    seed,
    resamples,
  );
}

/**
 * Exact two-sided sign test: the probability, if neither variant were better, of a split of the
 * untied cases at least as uneven as `wins` to `losses` (ties are left out). 1 when all tie.
 */
export function signTestP(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const k = Math.min(wins, losses);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += binomial(n, i);
  return Math.min(1, (2 * tail) / 2 ** n);
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}
