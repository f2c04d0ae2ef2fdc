import { setTimeout as sleep } from 'node:timers/promises';

import { DeadlineExceededError, withDeadline } from './deadline.util';

describe(withDeadline.name, () => {
  it('returns the result of a call that finishes in time', async () => {
    await expect(withDeadline(1_000, 'fast call', async () => 'done')).resolves.toBe('done');
  });

  it('rejects a call that overruns with an error naming the operation and the deadline', async () => {
    const attempt = withDeadline(50, 'Kafka publish of 3 message(s)', (signal) =>
      sleep(5_000, 'late', { signal }),
    );

    await expect(attempt).rejects.toThrow(DeadlineExceededError);
    await expect(
      withDeadline(50, 'Kafka connect', (signal) => sleep(5_000, undefined, { signal })),
    ).rejects.toThrow('Kafka connect did not finish within 50 ms');
  });

  it('passes the call’s own error through unchanged', async () => {
    const failure = new Error('broker refused');

    await expect(withDeadline(1_000, 'call', async () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('aborts the signal handed to the call when the deadline passes', async () => {
    let seen: AbortSignal | undefined;

    await withDeadline(20, 'call', (signal) => {
      seen = signal;
      return sleep(200, undefined, { signal });
    }).catch(() => undefined);

    expect(seen?.aborted).toBe(true);
  });
});
