// The ledger as deployed: its compiled main as a process. A bad configuration or an unreachable
// PostgreSQL stops it at start-up (exit 1, every problem named); SIGTERM stops it cleanly with the
// offsets of everything it stored committed, so a successor starts exactly after them.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import { USAGE_TOPIC } from '@hearth/events';
import { appEntry, freePort, infraEnv, waitFor } from '@hearth/testing';

import { startLedgerStack, usageEvent, type LedgerStack } from './support/ledger.fixture';

function runLedger(env: Record<string, string>) {
  return spawnSync(process.execPath, [appEntry('ledger')], {
    env: { PATH: process.env['PATH'], ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('ledger process', () => {
  it('refuses to start with a bad configuration, naming every bad variable', () => {
    const result = runLedger({
      DATABASE_URL: 'mysql://x',
      LEDGER_MAX_ATTEMPTS: '0',
      LEDGER_START_FROM: 'middle',
    });

    expect(result.status).toBe(1);
    for (const key of ['DATABASE_URL', 'KAFKA_BROKERS', 'LEDGER_MAX_ATTEMPTS', 'LEDGER_START_FROM']) {
      expect(result.stderr).toContain(key);
    }
  });

  it('stops at start-up when PostgreSQL cannot be reached', async () => {
    const result = runLedger({
      DATABASE_URL: `postgresql://hearth:hearth@127.0.0.1:${await freePort()}/hearth`,
      KAFKA_BROKERS: infraEnv().kafkaBrokers.join(','),
      REDIS_URL: infraEnv().redisUrl,
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: '0',
    });

    expect(result.status).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toMatch(/ledger failed to start|reach database/i);
  });

  describe('on SIGTERM', () => {
    let stack: LedgerStack;

    beforeAll(async () => {
      stack = await startLedgerStack();
    }, 120_000);

    afterAll(async () => {
      await stack?.close();
    }, 30_000);

    it('commits the offsets of what it stored', async () => {
      const tenantId = randomUUID();
      const events = Array.from({ length: 20 }, () => usageEvent(tenantId));
      // Sent raw to learn where they landed (one tenant: one partition, consecutive offsets).
      const [sent] = await stack.raw.send({
        topic: USAGE_TOPIC.name,
        messages: events.map((event) => ({ key: tenantId, value: JSON.stringify(event) })),
      });
      await waitFor(
        'the events to be stored',
        async () => (await stack.db.prisma.usageEvent.count({ where: { tenantId } })) === events.length,
        { timeoutMs: 60_000 },
      );

      const started = Date.now();
      await stack.ledger.stop();
      const stopMs = Date.now() - started;

      const admin = stack.kafka.admin();
      await admin.connect();
      try {
        const [committed] = await admin.fetchOffsets({
          groupId: `${stack.groupPrefix}.usage`,
          topics: [USAGE_TOPIC.name],
        });
        const offset = committed!.partitions.find((p) => p.partition === sent!.partition)!.offset;
        // Other specs may publish to the shared topic meanwhile: at least everything up to ours.
        expect(Number(offset)).toBeGreaterThanOrEqual(Number(sent!.baseOffset) + events.length);
      } finally {
        await admin.disconnect();
      }
      // ServiceProcess kills after 10 s: a stop well below that was the ledger's own.
      expect(stopMs).toBeLessThan(9_000);
    }, 90_000);
  });
});
