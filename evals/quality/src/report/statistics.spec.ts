import {
  bootstrapInterval,
  mean,
  pairedBootstrapInterval,
  percentile,
  signTestP,
  wilsonInterval,
} from './statistics';

describe('statistics', () => {
  it('gives the mean and percentiles', () => {
    expect(mean([1, 0, 1, 0])).toBe(0.5);
    expect(mean([])).toBe(0);
    expect(percentile([10, 30, 20], 50)).toBe(20);
    expect(percentile([0, 10], 95)).toBeCloseTo(9.5);
  });

  it("matches Wilson's interval for a known case and stays within [0, 1]", () => {
    const [low, high] = wilsonInterval(8, 10);
    expect(low).toBeCloseTo(0.49, 2);
    expect(high).toBeCloseTo(0.943, 2);
    expect(wilsonInterval(0, 5)[0]).toBe(0);
    expect(wilsonInterval(5, 5)[1]).toBe(1);
  });

  it('brackets the mean with a bootstrap interval that is the same on every run', () => {
    const scores = [1, 1, 0, 1, 0, 1, 1, 0.5, 1, 0];
    const interval = bootstrapInterval(scores);
    expect(interval[0]).toBeLessThanOrEqual(mean(scores));
    expect(interval[1]).toBeGreaterThanOrEqual(mean(scores));
    expect(bootstrapInterval(scores)).toEqual(interval);
    expect(bootstrapInterval([1, 1, 1])).toEqual([1, 1]);
  });

  it('gives a paired interval that excludes 0 only for a consistent difference', () => {
    const a = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const better = [1, 1, 1, 1, 1, 1, 1, 1, 0, 1];
    const [low, high] = pairedBootstrapInterval(a, better);
    expect(low).toBeGreaterThan(0);
    expect(high).toBe(1);
    const mixed = pairedBootstrapInterval([1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 1, 0]);
    expect(mixed[0]).toBeLessThan(0);
    expect(mixed[1]).toBeGreaterThan(0);
    expect(pairedBootstrapInterval([0.5, 0.5], [0.5, 0.5])).toEqual([0, 0]);
    expect(() => pairedBootstrapInterval([1], [1, 0])).toThrow('same length');
  });

  it('gives the exact two-sided sign test', () => {
    expect(signTestP(0, 0)).toBe(1);
    expect(signTestP(10, 0)).toBeCloseTo(2 / 1024, 10);
    expect(signTestP(8, 2)).toBeCloseTo(0.1094, 4);
    expect(signTestP(3, 3)).toBe(1);
  });
});
