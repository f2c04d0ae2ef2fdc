import { Writable } from 'node:stream';

import { createLogger } from './logger.factory';
import { ShutdownSteps } from './shutdown-steps';

describe(ShutdownSteps.name, () => {
  it('runs the steps newest first, logs a failing one and still runs the rest, once', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'spec',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    const ran: string[] = [];
    const sut = new ShutdownSteps();
    sut.push(() => void ran.push('database'));
    sut.push(() => {
      throw new Error('broker gone');
    });
    sut.push(async () => void ran.push('server'));

    await sut.runAll(logger, 'shutdown step failed');
    await sut.runAll(logger, 'shutdown step failed');

    expect(ran).toEqual(['server', 'database']);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      msg: 'shutdown step failed',
      err: { message: 'broker gone' },
    });
  });
});
