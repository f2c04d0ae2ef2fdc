import { classifyDbError, isTransientDbError } from './db-failure';
import { Prisma } from './generated/prisma';

function prismaError(code: string, cause?: Record<string, string>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError('', {
    code,
    clientVersion: 'test',
    meta: cause ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : undefined,
  });
}

describe(classifyDbError.name, () => {
  it('blames the statement for a value the column refuses, in the database’s own words', () => {
    expect(
      classifyDbError(
        prismaError('P2020', {
          kind: 'ValueOutOfRange',
          originalMessage: 'value "3000000000" is out of range',
        }),
      ),
    ).toEqual({ transient: false, reason: 'P2020: value "3000000000" is out of range' });
  });

  it.each([
    ['an unreachable database', prismaError('P1001', { kind: 'DatabaseNotReachable' })],
    ['a lost connection under another code', prismaError('P2010', { kind: 'ConnectionClosed' })],
    ['a deadlock', prismaError('P2034')],
    [
      'a refused socket before Prisma wrapped it',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['a connection node-postgres saw end', new Error('Connection terminated unexpectedly')],
    [
      'a server still starting after a crash',
      prismaError('P2010', {
        kind: 'postgres',
        originalCode: '57P03',
        originalMessage: 'the database system is starting up',
      }),
    ],
    [
      'a server shutting down, raised by node-postgres',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ],
  ])('calls %s transient', (_, error) => {
    expect(isTransientDbError(error)).toBe(true);
  });

  it('calls a constraint violation permanent', () => {
    expect(isTransientDbError(prismaError('P2010', { kind: 'postgres', originalCode: '23505' }))).toBe(false);
  });

  it('calls an unknown error permanent', () => {
    expect(isTransientDbError(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(classifyDbError('boom')).toEqual({ transient: false, reason: 'boom' });
  });
});
