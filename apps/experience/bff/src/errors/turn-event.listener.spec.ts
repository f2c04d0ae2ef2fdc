import { ApiError } from './api.error';
import { guardedTurnListener } from './turn-event.listener';

describe(guardedTurnListener.name, () => {
  it('passes events through, and turns what the listener throws into a 500 for the request', () => {
    const seen: number[] = [];
    const failures: ApiError[] = [];
    const logged: unknown[] = [];
    const listener = guardedTurnListener<number>(
      (n) => {
        if (n < 0) throw new RangeError('Maximum call stack size exceeded');
        seen.push(n);
      },
      (error) => failures.push(error),
      { error: (fields: unknown) => logged.push(fields) },
    );

    listener(1);
    expect(() => listener(-1)).not.toThrow();
    listener(2);

    expect(seen).toEqual([1, 2]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ status: 500, code: 'internal_error' });
    expect(logged).toEqual([{ err: expect.any(RangeError) }]);
  });
});
