import { Prisma } from '@hearth/db';

import { isPoisonWrite, LedgerWriteError } from './ledger-write.error';

function prismaError(code: string, cause?: Record<string, string>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError('', {
    code,
    clientVersion: 'test',
    meta: cause ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : undefined,
  });
}

describe(LedgerWriteError.name, () => {
  it('blames the event for a value the column refuses, with the database’s own words as reason', () => {
    const sut = LedgerWriteError.from(
      prismaError('P2020', {
        kind: 'ValueOutOfRange',
        originalCode: '22003',
        originalMessage: 'value "3000000000" is out of range for type integer',
      }),
    );
    expect(sut.transient).toBe(false);
    expect(sut.message).toBe('P2020: value "3000000000" is out of range for type integer');
    expect(isPoisonWrite(sut)).toBe(true);
  });

  it.each([
    ['an unreachable database', prismaError('P1001', { kind: 'DatabaseNotReachable' })],
    ['an exhausted connection pool', prismaError('P2024')],
    ['an expired transaction', prismaError('P2028')],
    ['a deadlock', prismaError('P2034')],
    ['a closed connection under another code', prismaError('P2010', { kind: 'ConnectionClosed' })],
    ['a client that could not start', new Prisma.PrismaClientInitializationError('no database', 'test')],
  ])('never blames the event for %s', (_, error) => {
    expect(LedgerWriteError.from(error).transient).toBe(true);
    expect(isPoisonWrite(error)).toBe(false);
  });

  it('counts an unknown error against the event (tries are bounded, then the dead-letter topic)', () => {
    expect(isPoisonWrite(new TypeError('cannot read properties of undefined'))).toBe(true);
    expect(LedgerWriteError.from('boom').message).toBe('boom');
  });

  it('keeps an error it already classified as it is', () => {
    const classified = new LedgerWriteError('P1001: DatabaseNotReachable', true);
    expect(LedgerWriteError.from(classified)).toBe(classified);
  });
});
