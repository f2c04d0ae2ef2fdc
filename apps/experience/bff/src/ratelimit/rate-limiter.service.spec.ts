// OpenAI's reset-duration format used in x-ratelimit-reset-* headers.
import { formatDuration } from './rate-limiter.service';

describe(formatDuration.name, () => {
  it('formats like OpenAI: ms below a second, seconds below a minute, then minutes and seconds', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(20)).toBe('20ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(61_400)).toBe('1m1s');
  });
});
