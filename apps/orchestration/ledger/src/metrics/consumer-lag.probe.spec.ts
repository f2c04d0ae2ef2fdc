import { partitionLag } from './consumer-lag.probe';

describe(partitionLag.name, () => {
  it('is the distance from the committed offset to the log end', () => {
    expect(partitionLag(120, 0, 100)).toBe(20);
    expect(partitionLag(120, 0, 120)).toBe(0);
  });

  it('counts from the log start when the group has committed nothing (-1) or the partition is new to it', () => {
    expect(partitionLag(120, 20, -1)).toBe(100);
    expect(partitionLag(120, 20, undefined)).toBe(100);
  });

  it('is never negative (a committed offset read before the end offset can be ahead of it)', () => {
    expect(partitionLag(100, 0, 105)).toBe(0);
  });
});
