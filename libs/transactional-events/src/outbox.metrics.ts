// Owns the outbox's backlog metrics: rows not yet published and the age of the oldest, read from
// PostgreSQL when /metrics is scraped (a stuck relay or a Kafka outage shows as a growing age), through
// the first running relay of the process. Every service with a relay reports the same table: alert on
// the max over them.
import type { PrismaClient } from '@hearth/db';
import { METRIC_PREFIX, sharedMetricsRegistry, withDeadline } from '@hearth/telemetry';

import { Gauge } from 'prom-client';

/** A scrape waits at most this long for the backlog query. */
const QUERY_DEADLINE_MS = 2_000;

const sources = new Set<PrismaClient>();
let registered = false;

interface Backlog {
  rows: number;
  oldestAgeSeconds: number;
}

async function backlogOf(prisma: PrismaClient): Promise<Backlog> {
  const [row] = await withDeadline(
    QUERY_DEADLINE_MS,
    'outbox backlog query',
    () =>
      prisma.$queryRaw<Backlog[]>`
      SELECT count(*)::int AS rows,
             COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS "oldestAgeSeconds"
      FROM outbox_events
      WHERE published_at IS NULL`,
  );
  return row ?? { rows: 0, oldestAgeSeconds: 0 };
}

/** Reports the backlog through `prisma` while the returned function has not been called. */
export function reportOutboxBacklog(prisma: PrismaClient): () => void {
  sources.add(prisma);
  if (!registered) {
    registered = true;
    let last: Promise<Backlog | undefined> | undefined;
    // One query per scrape, shared by both gauges; a failed query leaves them unset (no sample).
    const read = () => {
      const [source] = sources;
      last ??= source ? backlogOf(source).catch(() => undefined) : Promise.resolve(undefined);
      return last;
    };
    const registry = sharedMetricsRegistry();
    new Gauge({
      name: `${METRIC_PREFIX}outbox_backlog_events`,
      help: 'Outbox rows not yet published to Kafka.',
      registers: [registry],
      async collect() {
        const backlog = await read();
        this.reset();
        if (backlog) this.set(backlog.rows);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}outbox_oldest_age_seconds`,
      help: 'Age of the oldest outbox row not yet published (0 when none waits).',
      registers: [registry],
      async collect() {
        const backlog = await read();
        last = undefined;
        this.reset();
        if (backlog) this.set(backlog.oldestAgeSeconds);
      },
    });
  }
  return () => sources.delete(prisma);
}
