import { Redis } from 'ioredis';

import { isRedisUnavailableError } from './redis-unavailable';

describe(isRedisUnavailableError.name, () => {
  it('recognises what a real client raises when nothing listens', async () => {
    const client = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const error = await client.get('k').catch((caught: unknown) => caught);
    expect(isRedisUnavailableError(error)).toBe(true);
    client.disconnect();
  });

  it.each([
    ['a command timeout', new Error('Command timed out')],
    ['a lost connection', new Error('Connection is closed.')],
    [
      'retries exhausted',
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
    ],
  ])('recognises %s', (_, error) => {
    expect(isRedisUnavailableError(error)).toBe(true);
  });

  it('leaves a refused command and non-errors alone', () => {
    expect(
      isRedisUnavailableError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')),
    ).toBe(false);
    expect(isRedisUnavailableError('Connection is closed')).toBe(false);
  });
});
