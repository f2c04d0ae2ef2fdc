import { settleWithin, waitFor } from './wait-for';

describe(waitFor.name, () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    const answers = [undefined, null, false, 0, 1];

    const sut = await waitFor('a value', () => answers.shift(), { intervalMs: 1 });

    expect(sut).toBe(0);
  });

  it('retries a probe that throws and names the wait and the last error when time runs out', async () => {
    const attempt = waitFor(
      'the broker',
      () => {
        throw new Error('ECONNREFUSED');
      },
      { timeoutMs: 20, intervalMs: 1 },
    );

    await expect(attempt).rejects.toThrow(
      /^timed out after 20 ms waiting for the broker \(last error: Error: ECONNREFUSED\)$/,
    );
  });
});

describe(settleWithin.name, () => {
  it('resolves with the promise when it settles in time', async () => {
    await expect(settleWithin(Promise.resolve('done'), 1_000, 'late')).resolves.toBe('done');
  });

  it('resolves with the fallback when the promise takes longer', async () => {
    await expect(settleWithin(new Promise(() => undefined), 5, 'late')).resolves.toBe('late');
  });
});
