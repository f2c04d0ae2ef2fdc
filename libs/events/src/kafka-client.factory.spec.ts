import { Writable } from 'node:stream';

import { createLogger } from '@hearth/telemetry';

import { logLevel } from 'kafkajs';

import { parseBrokers, pinoLogCreator } from './kafka-client.factory';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ service: 'kafka-spec', level: 'info', destination }) };
}

function entry(namespace: string, level: logLevel, message: string, extra: Record<string, unknown> = {}) {
  return {
    namespace,
    level,
    label: logLevel[level],
    log: { timestamp: '', logger: 'kafkajs', message, ...extra },
  };
}

describe(pinoLogCreator.name, () => {
  it('writes kafkajs entries as pino lines at the same level with their context', () => {
    const { lines, logger } = capture();
    const sut = pinoLogCreator(logger)(logLevel.WARN);

    sut(entry('Consumer', logLevel.ERROR, 'Crash: rebalancing', { groupId: 'g-1' }));
    sut(entry('Producer', logLevel.WARN, 'slow ack'));

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'Crash: rebalancing',
        kafka: expect.objectContaining({ namespace: 'Consumer', groupId: 'g-1' }),
      }),
      expect.objectContaining({ level: 'warn', msg: 'slow ack' }),
    ]);
  });

  it('drops per-attempt connection errors that kafkajs retries itself', () => {
    const { lines, logger } = capture();
    const sut = pinoLogCreator(logger)(logLevel.WARN);

    sut(entry('Connection', logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9'));
    sut(entry('BrokerPool', logLevel.ERROR, 'Failed to connect to seed broker'));

    expect(lines).toEqual([]);
  });

  it('drops the warning about bounded idempotent retries, which we choose on purpose', () => {
    const { lines, logger } = capture();
    const sut = pinoLogCreator(logger)(logLevel.WARN);

    sut(
      entry(
        'Producer',
        logLevel.WARN,
        'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      ),
    );

    expect(lines).toEqual([]);
  });
});

describe(parseBrokers.name, () => {
  it('splits a comma-separated list and trims it', () => {
    expect(parseBrokers('127.0.0.1:59092, 127.0.0.1:59093')).toEqual(['127.0.0.1:59092', '127.0.0.1:59093']);
  });

  it('refuses an empty list', () => {
    expect(() => parseBrokers(' , ')).toThrow('KAFKA_BROKERS lists no broker');
  });
});
